import { WritClientError } from '../errors.ts';
import { type DpopKeyPair, generateDpopKeyPair, isDpopKeyPair } from './dpop-key.ts';

/** Where a client keeps its DPoP key between page loads. */
export type DpopKeyStorage = 'indexeddb' | 'memory';

const databaseName = 'writ-dpop';
const storeName = 'keys';

function requested<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(): Promise<IDBDatabase> {
  const request = indexedDB.open(databaseName, 1);
  request.onupgradeneeded = () => {
    request.result.createObjectStore(storeName);
  };
  return requested(request);
}

async function inStore<T>(
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const database = await openDatabase();
  try {
    const transaction = database.transaction(storeName, mode);
    const result = await requested(work(transaction.objectStore(storeName)));
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
    return result;
  } finally {
    database.close();
  }
}

/**
 * The key pair named `name` from IndexedDB, made and stored first if there is none. CryptoKey
 * objects are structured-cloneable, so the browser stores the key itself, still non-extractable:
 * its bytes never pass through JavaScript. Two tabs racing to create it: `add` lets only the
 * first store one, and the other reads that one back, so every tab signs with the same key.
 */
async function fromIndexedDb(name: string): Promise<DpopKeyPair> {
  const existing: unknown = await inStore('readonly', (store) => store.get(name));
  if (isDpopKeyPair(existing)) return existing;
  const created = await generateDpopKeyPair();
  try {
    await inStore('readwrite', (store) =>
      existing === undefined ? store.add(created, name) : store.put(created, name),
    );
    return created;
  } catch {
    const winner: unknown = await inStore('readonly', (store) => store.get(name));
    if (isDpopKeyPair(winner)) return winner;
    throw new WritClientError('dpop_unavailable');
  }
}

/** Keys of this process when there is no IndexedDB (Node): they end with it. */
const inMemory = new Map<string, Promise<DpopKeyPair>>();

export function loadDpopKeyPair(name: string, storage: DpopKeyStorage): Promise<DpopKeyPair> {
  if (storage === 'indexeddb') {
    if (typeof indexedDB === 'undefined') throw new WritClientError('dpop_unavailable');
    return fromIndexedDb(name);
  }
  let pair = inMemory.get(name);
  if (pair === undefined) {
    pair = generateDpopKeyPair();
    inMemory.set(name, pair);
    pair.catch(() => inMemory.delete(name));
  }
  return pair;
}

/** Forgets the key named `name`: tokens bound to it can never be used again. */
export async function deleteDpopKeyPair(name: string, storage: DpopKeyStorage): Promise<void> {
  inMemory.delete(name);
  if (storage === 'indexeddb' && typeof indexedDB !== 'undefined') {
    await inStore('readwrite', (store) => store.delete(name));
  }
}
