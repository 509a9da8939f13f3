// A throwaway PKI made at test time (nothing secret is committed): a CA, server certificates
// for localhost/127.0.0.1/::1 (valid, expired, for another host, from an untrusted CA) and a
// client certificate, written as PEM files into a temporary directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import forge from 'node-forge'

const { pki } = forge

export interface Leaf {
  certificate: string
  key: string
  certificateFile: string
  keyFile: string
}

export interface TestPki {
  dir: string
  ca: string
  caFile: string
  server: Leaf
  expired: Leaf
  wrongHost: Leaf
  untrusted: Leaf
  client: Leaf
  /** Removes the directory. */
  remove(): void
}

interface Issuer {
  certificate: forge.pki.Certificate
  key: forge.pki.rsa.PrivateKey
}

const DAY = 24 * 60 * 60 * 1000
let serial = 1

function certificate(
  subject: string,
  publicKey: forge.pki.rsa.PublicKey,
  issuer: Issuer | null,
  signingKey: forge.pki.rsa.PrivateKey,
  extensions: object[],
  notBefore: Date,
  notAfter: Date,
): forge.pki.Certificate {
  const cert = pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = (0x1000 + serial++).toString(16)
  cert.validity.notBefore = notBefore
  cert.validity.notAfter = notAfter
  const name = [{ name: 'commonName', value: subject }]
  cert.setSubject(name)
  cert.setIssuer(issuer ? issuer.certificate.subject.attributes : name)
  cert.setExtensions(extensions)
  cert.sign(signingKey, forge.md.sha256.create())
  return cert
}

function authority(name: string): Issuer {
  const keys = pki.rsa.generateKeyPair({ bits: 2048 })
  const now = Date.now()
  const extensions = [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]
  return { certificate: certificate(name, keys.publicKey, null, keys.privateKey, extensions, new Date(now - DAY), new Date(now + 30 * DAY)), key: keys.privateKey }
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'poco-websocket-pki-'))
  const ca = authority('poco-websocket test CA')
  const stranger = authority('poco-websocket stranger CA')
  const leafKeys = pki.rsa.generateKeyPair({ bits: 2048 })
  const keyPem = pki.privateKeyToPem(leafKeys.privateKey)
  const now = Date.now()

  const leaf = (file: string, issuer: Issuer, names: string[], purpose: 'serverAuth' | 'clientAuth', from: number, to: number): Leaf => {
    const altNames = names.map((value) => (/^[\d.]+$|:/.test(value) ? { type: 7, ip: value } : { type: 2, value }))
    const extensions = [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', [purpose]: true },
      { name: 'subjectAltName', altNames },
    ]
    const cert = certificate(names[0], leafKeys.publicKey, issuer, issuer.key, extensions, new Date(from), new Date(to))
    const result: Leaf = {
      certificate: pki.certificateToPem(cert),
      key: keyPem,
      certificateFile: join(dir, `${file}.crt`),
      keyFile: join(dir, `${file}.key`),
    }
    writeFileSync(result.certificateFile, result.certificate)
    writeFileSync(result.keyFile, result.key)
    return result
  }

  const local = ['localhost', '127.0.0.1', '::1']
  const caPem = pki.certificateToPem(ca.certificate)
  const caFile = join(dir, 'ca.crt')
  writeFileSync(caFile, caPem)
  return {
    dir,
    ca: caPem,
    caFile,
    server: leaf('server', ca, local, 'serverAuth', now - DAY, now + 30 * DAY),
    expired: leaf('expired', ca, local, 'serverAuth', now - 30 * DAY, now - DAY),
    wrongHost: leaf('wrong-host', ca, ['example.com'], 'serverAuth', now - DAY, now + 30 * DAY),
    untrusted: leaf('untrusted', stranger, local, 'serverAuth', now - DAY, now + 30 * DAY),
    client: leaf('client', ca, ['client.test'], 'clientAuth', now - DAY, now + 30 * DAY),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
