import { deserialize, serialize } from 'node:v8';

// V8's structured-clone serialisation keeps Maps (key types and order), Sets, undefined and ±Infinity intact.
// Its format is tied to the Node.js major version: a checkpoint is resumed by the same Node major that wrote it.

/**
 * A keyed state store: a Map the engine owns. The engine snapshots every
 * store at a checkpoint and restores it before processing resumes, keeping
 * iteration order (which makes replays emit in the same order).
 */
export class StateStore<K, V> {
  private readonly map = new Map<K, V>();
  get(key: K): V | undefined { return this.map.get(key); }
  set(key: K, value: V): void { this.map.set(key, value); }
  has(key: K): boolean { return this.map.has(key); }
  delete(key: K): boolean { return this.map.delete(key); }
  clear(): void { this.map.clear(); }
  get size(): number { return this.map.size; }
  keys(): IterableIterator<K> { return this.map.keys(); }
  values(): IterableIterator<V> { return this.map.values(); }
  entries(): IterableIterator<[K, V]> { return this.map.entries(); }
  [Symbol.iterator](): IterableIterator<[K, V]> { return this.map.entries(); }

  /** @internal engine use */
  snapshotEntries(): [K, V][] { return Array.from(this.map); }
  /** @internal engine use */
  restoreEntries(entries: readonly [K, V][]): void {
    this.map.clear();
    for (const [k, v] of entries) this.map.set(k, v);
  }
}

/** Every store of a running topology, addressable by `operatorId/storeName`. */
export class StateRegistry {
  private readonly stores = new Map<string, StateStore<unknown, unknown>>();

  store<K, V>(operatorId: string, name: string): StateStore<K, V> {
    const id = `${operatorId}/${name}`;
    let store = this.stores.get(id);
    if (!store) {
      store = new StateStore<unknown, unknown>();
      this.stores.set(id, store);
    }
    return store as StateStore<K, V>;
  }

  names(): string[] { return [...this.stores.keys()]; }

  totalEntries(): number {
    let n = 0;
    for (const s of this.stores.values()) n += s.size;
    return n;
  }

  snapshot(): Uint8Array {
    const out: [string, [unknown, unknown][]][] = [];
    for (const [id, store] of this.stores) out.push([id, store.snapshotEntries()]);
    return serialize(out);
  }

  /** Restores the stores named in the snapshot; stores absent from it are cleared. */
  restore(bytes: Uint8Array): void {
    const data = deserialize(bytes) as [string, [unknown, unknown][]][];
    for (const store of this.stores.values()) store.clear();
    for (const [id, entries] of data) {
      let store = this.stores.get(id);
      if (!store) {
        store = new StateStore<unknown, unknown>();
        this.stores.set(id, store);
      }
      store.restoreEntries(entries);
    }
  }
}
