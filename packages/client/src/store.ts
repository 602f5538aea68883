/**
 * Where the client keeps what must outlive the process: the highest manifest generation it accepted, the keys a
 * manifest named as retired, and the mini programs the last manifests named. A small key-value store the app may
 * supply (its own secure storage); values are short strings.
 */
export interface StateStore {
  get(key: string): Promise<string | null | undefined> | string | null | undefined;
  set(key: string, value: string): Promise<void> | void;
}

/** Kept in memory only: a restarted app forgets what it accepted (tests, or an app that persists nothing). */
export class MemoryStore implements StateStore {
  private readonly values = new Map<string, string>();
  get(key: string) {
    return this.values.get(key);
  }
  set(key: string, value: string) {
    this.values.set(key, value);
  }
}

/** The browser's `localStorage` (or another `Storage`). */
export class LocalStorageStore implements StateStore {
  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> = globalThis.localStorage) {}
  get(key: string) {
    return this.storage.getItem(key);
  }
  set(key: string, value: string) {
    this.storage.setItem(key, value);
  }
}

/** The default of the main entry: `localStorage` where there is one (browsers), else memory. Node: `@mpop/client/node`. */
export function defaultStore(): StateStore {
  try {
    const storage = (globalThis as { localStorage?: Storage }).localStorage;
    if (storage && typeof storage.getItem === 'function') return new LocalStorageStore(storage);
  } catch {
    // A sandboxed page may throw on access: keep the state in memory.
  }
  return new MemoryStore();
}
