import { NotFoundException } from './exceptions'

/**
 * Poco's `NameValueCollection`: ordered fields whose names compare case-insensitively, as
 * HTTP header fields do.
 */
export class NameValueCollection implements Iterable<[string, string]> {
  private fields: Array<[string, string]> = []

  /** Replaces the value of the first field called `name` (removing any others), or adds one. */
  set(name: string, value: string): void {
    const key = name.toLowerCase()
    const index = this.fields.findIndex(([n]) => n.toLowerCase() === key)
    if (index < 0) {
      this.fields.push([name, String(value)])
      return
    }
    this.fields[index] = [this.fields[index][0], String(value)]
    this.fields = this.fields.filter(([n], i) => i === index || n.toLowerCase() !== key)
  }

  /** Adds a field even if one of that name exists. */
  add(name: string, value: string): void {
    this.fields.push([name, String(value)])
  }

  /** The first value of `name`; without a default, a missing field throws NotFoundException. */
  get(name: string, defaultValue?: string): string {
    const key = name.toLowerCase()
    const field = this.fields.find(([n]) => n.toLowerCase() === key)
    if (field) return field[1]
    if (defaultValue === undefined) throw new NotFoundException(name)
    return defaultValue
  }

  /** Whether a field called `name` exists (names are case-insensitive). */
  has(name: string): boolean {
    const key = name.toLowerCase()
    return this.fields.some(([n]) => n.toLowerCase() === key)
  }

  /** Removes every field called `name`. */
  erase(name: string): void {
    const key = name.toLowerCase()
    this.fields = this.fields.filter(([n]) => n.toLowerCase() !== key)
  }

  /** Removes every field. */
  clear(): void {
    this.fields = []
  }

  /** The number of fields. */
  size(): number {
    return this.fields.length
  }

  /** Whether there are no fields. */
  empty(): boolean {
    return this.fields.length === 0
  }

  /** The fields as `[name, value]` pairs, in order. */
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.fields.map(([n, v]): [string, string] => [n, v])[Symbol.iterator]()
  }

  /** @internal The fields flat, `[name0, value0, …]`, as the native layer takes them. */
  toFlatList(): string[] {
    return this.fields.flat()
  }

  /** @internal Replaces every field with a flat list from the native layer. */
  protected assignFlatList(flat: string[]): void {
    this.fields = []
    for (let i = 0; i + 1 < flat.length; i += 2) this.fields.push([flat[i], flat[i + 1]])
  }
}
