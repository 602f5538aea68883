/** Where verified packages are kept, by SHA-256. Whatever is read back is hashed and verified again before use. */
export interface PackageCache {
  get(sha256: string): Promise<Uint8Array | undefined>;
  set(sha256: string, bytes: Uint8Array): Promise<void>;
  delete(sha256: string): Promise<void>;
}

/** The default cache: in memory, least recently used first out past `maxBytes` (default 100 MiB). */
export class MemoryCache implements PackageCache {
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(private readonly maxBytes = 100 * 1024 * 1024) {}

  async get(sha256: string): Promise<Uint8Array | undefined> {
    const hit = this.entries.get(sha256);
    if (hit) {
      this.entries.delete(sha256);
      this.entries.set(sha256, hit); // most recently used
    }
    return hit;
  }

  async set(sha256: string, bytes: Uint8Array): Promise<void> {
    await this.delete(sha256);
    if (bytes.length > this.maxBytes) return;
    this.entries.set(sha256, bytes);
    this.bytes += bytes.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  async delete(sha256: string): Promise<void> {
    const old = this.entries.get(sha256);
    if (old) {
      this.entries.delete(sha256);
      this.bytes -= old.length;
    }
  }
}
