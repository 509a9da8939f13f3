import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { call, native, type NativeTlsContext } from './binding'
import { InvalidArgumentException, SSLContextException } from './exceptions'
import { VerificationMode as NativeVerificationMode } from '../native/index'

/** Poco's `Context::Usage`: the side, and the lowest protocol version. */
export enum ContextUsage {
  /** Client; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3. */
  TLS_CLIENT_USE = 0,
  /** Server; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3. */
  TLS_SERVER_USE = 1,
  /** Client (deprecated in Poco; any protocol version). Here TLS 1.2 and 1.3. */
  CLIENT_USE = 2,
  /** Server (deprecated in Poco; any protocol version). Here TLS 1.2 and 1.3. */
  SERVER_USE = 3,
  /** Client; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  TLSV1_CLIENT_USE = 4,
  /** Server; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  TLSV1_SERVER_USE = 5,
  /** Client; Poco: TLS 1.1 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  TLSV1_1_CLIENT_USE = 6,
  /** Server; Poco: TLS 1.1 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  TLSV1_1_SERVER_USE = 7,
  /** Client, TLS 1.2 or higher (1.2 and 1.3). */
  TLSV1_2_CLIENT_USE = 8,
  /** Server, TLS 1.2 or higher (1.2 and 1.3). */
  TLSV1_2_SERVER_USE = 9,
  /** Client, TLS 1.3 only. */
  TLSV1_3_CLIENT_USE = 10,
  /** Server, TLS 1.3 only. */
  TLSV1_3_SERVER_USE = 11,
}

/** Poco's `Context::VerificationMode`, with Poco's (OpenSSL's) values. See README, "TLS". */
export enum VerificationMode {
  /** Client: the server's certificate is not checked. Server: no client certificate is asked for. */
  VERIFY_NONE = NativeVerificationMode.None,
  /** Client: chain, hostname and dates are verified. Server: a client certificate is asked for (when a CA is set) and verified if sent. */
  VERIFY_RELAXED = NativeVerificationMode.Relaxed,
  /** Client: as relaxed. Server: a valid client certificate is required. */
  VERIFY_STRICT = NativeVerificationMode.Strict,
  /** As relaxed (TLS 1.3 never asks again). */
  VERIFY_ONCE = NativeVerificationMode.Once,
}

/** A PEM text, as a string or the bytes of a file. */
export type Pem = string | Buffer

/**
 * Poco's `Context::Params`, plus PEM given directly (`privateKey`, `certificate`, `ca`) instead
 * of files. `verificationDepth`, `cipherList`, `dhParamsFile`, `ecdhCurve` are accepted and
 * ignored: rustls picks its own safe cipher suites and groups, and limits chain length itself.
 */
export interface ContextParams {
  /** File with our private key (PEM: PKCS#8, PKCS#1 or SEC1), or PEM text; may also hold the certificate. */
  privateKeyFile?: string
  /** File with our certificate chain (PEM, leaf first), or PEM text; may also hold the key. */
  certificateFile?: string
  /** A PEM file, a directory of PEM files, or PEM text. */
  caLocation?: string
  /** Our private key as PEM text or bytes, instead of `privateKeyFile`. */
  privateKey?: Pem
  /** Our certificate chain as PEM text or bytes (leaf first), instead of `certificateFile`. */
  certificate?: Pem
  /** CA certificates to trust, as PEM text or bytes (one or several), in addition to `caLocation`. */
  ca?: Pem | Pem[]
  /** How the peer is verified; default `VERIFY_RELAXED`, as in Poco. */
  verificationMode?: VerificationMode
  /** Poco's maximum chain length; accepted and ignored (rustls bounds chains itself). */
  verificationDepth?: number
  /** Also trust the default roots (Mozilla's, bundled, plus the system store); a client with no CA uses them anyway. */
  loadDefaultCAs?: boolean
  /** Poco's OpenSSL cipher list; accepted and ignored (rustls picks its own safe suites). */
  cipherList?: string
  /** Poco's Diffie-Hellman parameters file; accepted and ignored. */
  dhParamsFile?: string
  /** Poco's ECDH curve; accepted and ignored (rustls picks its own groups). */
  ecdhCurve?: string
}

const SERVER_USAGES = new Set([
  ContextUsage.TLS_SERVER_USE,
  ContextUsage.SERVER_USE,
  ContextUsage.TLSV1_SERVER_USE,
  ContextUsage.TLSV1_1_SERVER_USE,
  ContextUsage.TLSV1_2_SERVER_USE,
  ContextUsage.TLSV1_3_SERVER_USE,
])

const isPemText = (value: string): boolean => value.includes('-----BEGIN ')

/** The file's PEM, or `value` itself when it already is PEM text. */
function pemOf(value: string, what: string): Buffer {
  if (isPemText(value)) return Buffer.from(value)
  try {
    return readFileSync(value)
  } catch (error) {
    throw new SSLContextException(`Cannot read the ${what} file`, `${value} (${(error as Error).message})`)
  }
}

/** Poco's `caLocation`: a file, or a directory whose PEM certificate files are all read. */
function caFrom(location: string): Buffer[] {
  if (isPemText(location)) return [Buffer.from(location)]
  let directory = false
  try {
    directory = statSync(location).isDirectory()
  } catch (error) {
    throw new SSLContextException('Cannot read the CA location', `${location} (${(error as Error).message})`)
  }
  if (!directory) return [pemOf(location, 'CA')]
  return readdirSync(location)
    .map((name) => join(location, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path))
    .filter((pem) => pem.includes('-----BEGIN CERTIFICATE-----'))
}

const toBuffer = (pem: Pem): Buffer => (typeof pem === 'string' ? Buffer.from(pem) : pem)

/**
 * Poco's `Context` (NetSSL): which side, how the peer is verified, our certificate and key,
 * and the CAs we trust. Files are read and the TLS configuration is built at construction, so
 * a bad file or PEM throws `SSLContextException` here, as in Poco. One context serves any
 * number of sessions or servers.
 *
 * Trust: the CAs from `caLocation`/`ca`; a client without any uses the default roots (Mozilla's,
 * bundled, plus the system store where present), as does any context with `loadDefaultCAs`.
 */
export class Context {
  /** `ContextUsage.TLS_CLIENT_USE`: Client; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3. */
  static readonly TLS_CLIENT_USE = ContextUsage.TLS_CLIENT_USE
  /** `ContextUsage.TLS_SERVER_USE`: Server; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3. */
  static readonly TLS_SERVER_USE = ContextUsage.TLS_SERVER_USE
  /** `ContextUsage.CLIENT_USE`: Client (deprecated in Poco; any protocol version). Here TLS 1.2 and 1.3. */
  static readonly CLIENT_USE = ContextUsage.CLIENT_USE
  /** `ContextUsage.SERVER_USE`: Server (deprecated in Poco; any protocol version). Here TLS 1.2 and 1.3. */
  static readonly SERVER_USE = ContextUsage.SERVER_USE
  /** `ContextUsage.TLSV1_CLIENT_USE`: Client; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  static readonly TLSV1_CLIENT_USE = ContextUsage.TLSV1_CLIENT_USE
  /** `ContextUsage.TLSV1_SERVER_USE`: Server; Poco: TLS 1.0 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  static readonly TLSV1_SERVER_USE = ContextUsage.TLSV1_SERVER_USE
  /** `ContextUsage.TLSV1_1_CLIENT_USE`: Client; Poco: TLS 1.1 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  static readonly TLSV1_1_CLIENT_USE = ContextUsage.TLSV1_1_CLIENT_USE
  /** `ContextUsage.TLSV1_1_SERVER_USE`: Server; Poco: TLS 1.1 or higher. Here TLS 1.2 and 1.3 (rustls has no older versions). */
  static readonly TLSV1_1_SERVER_USE = ContextUsage.TLSV1_1_SERVER_USE
  /** `ContextUsage.TLSV1_2_CLIENT_USE`: Client, TLS 1.2 or higher (1.2 and 1.3). */
  static readonly TLSV1_2_CLIENT_USE = ContextUsage.TLSV1_2_CLIENT_USE
  /** `ContextUsage.TLSV1_2_SERVER_USE`: Server, TLS 1.2 or higher (1.2 and 1.3). */
  static readonly TLSV1_2_SERVER_USE = ContextUsage.TLSV1_2_SERVER_USE
  /** `ContextUsage.TLSV1_3_CLIENT_USE`: Client, TLS 1.3 only. */
  static readonly TLSV1_3_CLIENT_USE = ContextUsage.TLSV1_3_CLIENT_USE
  /** `ContextUsage.TLSV1_3_SERVER_USE`: Server, TLS 1.3 only. */
  static readonly TLSV1_3_SERVER_USE = ContextUsage.TLSV1_3_SERVER_USE
  /** `VerificationMode.VERIFY_NONE`. */
  static readonly VERIFY_NONE = VerificationMode.VERIFY_NONE
  /** `VerificationMode.VERIFY_RELAXED`. */
  static readonly VERIFY_RELAXED = VerificationMode.VERIFY_RELAXED
  /** `VerificationMode.VERIFY_STRICT`. */
  static readonly VERIFY_STRICT = VerificationMode.VERIFY_STRICT
  /** `VerificationMode.VERIFY_ONCE`. */
  static readonly VERIFY_ONCE = VerificationMode.VERIFY_ONCE

  private static defaultClient?: Context

  /** @internal */
  readonly _native: NativeTlsContext
  private readonly _usage: ContextUsage
  private readonly _mode: VerificationMode

  /** Poco's `Context(usage, params)`. */
  constructor(usage: ContextUsage, params: ContextParams)
  /** Poco's `Context(usage, privateKeyFile, certificateFile, caLocation, verificationMode, verificationDepth, loadDefaultCAs, cipherList)`; each file argument may also be PEM text. */
  constructor(
    usage: ContextUsage,
    privateKeyFile?: string,
    certificateFile?: string,
    caLocation?: string,
    verificationMode?: VerificationMode,
    verificationDepth?: number,
    loadDefaultCAs?: boolean,
    cipherList?: string,
  )
  constructor(
    usage: ContextUsage,
    paramsOrKeyFile: ContextParams | string = {},
    certificateFile = '',
    caLocation = '',
    verificationMode = VerificationMode.VERIFY_RELAXED,
    _verificationDepth = 9,
    loadDefaultCAs = false,
  ) {
    const params: ContextParams =
      typeof paramsOrKeyFile === 'string'
        ? { privateKeyFile: paramsOrKeyFile, certificateFile, caLocation, verificationMode, loadDefaultCAs }
        : paramsOrKeyFile
    if (!(usage in ContextUsage)) throw new InvalidArgumentException('Invalid Context usage', String(usage))
    this._usage = usage
    this._mode = params.verificationMode ?? VerificationMode.VERIFY_RELAXED
    const tls13 = usage === ContextUsage.TLSV1_3_CLIENT_USE || usage === ContextUsage.TLSV1_3_SERVER_USE
    const certificate = params.certificate ?? (params.certificateFile ? pemOf(params.certificateFile, 'certificate') : undefined)
    const privateKey = params.privateKey ?? (params.privateKeyFile ? pemOf(params.privateKeyFile, 'private key') : undefined)
    const ca = [
      ...(params.caLocation ? caFrom(params.caLocation) : []),
      ...(params.ca === undefined ? [] : Array.isArray(params.ca) ? params.ca : [params.ca]),
    ]
    this._native = call(
      () =>
        new native.NativeTlsContext({
          server: SERVER_USAGES.has(usage),
          minProtocol: tls13 ? '1.3' : '1.2',
          verificationMode: this._mode as number as NativeVerificationMode,
          certificate: certificate === undefined ? undefined : toBuffer(certificate),
          privateKey: privateKey === undefined ? undefined : toBuffer(privateKey),
          ca: ca.map(toBuffer),
          loadDefaultCas: params.loadDefaultCAs ?? false,
        }),
    )
  }

  /**
   * The context an `HTTPSClientSession` uses when given none (Poco's
   * `SSLManager::instance().defaultClientContext()`): VERIFY_RELAXED with the default roots.
   */
  static defaultClientContext(): Context {
    Context.defaultClient ??= new Context(ContextUsage.TLS_CLIENT_USE, {})
    return Context.defaultClient
  }

  /** The usage given at construction (Poco's `Context::usage()`). */
  usage(): ContextUsage {
    return this._usage
  }

  /** True for a server usage (`*_SERVER_USE`), as a `SecureServerSocket` requires. */
  isForServerUse(): boolean {
    return SERVER_USAGES.has(this._usage)
  }

  /** The peer verification mode (default `VERIFY_RELAXED`). */
  verificationMode(): VerificationMode {
    return this._mode
  }
}
