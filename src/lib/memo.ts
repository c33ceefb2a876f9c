/**
 * Memoizes an async load per key object (a parsed configuration, say), keeping resolved values only. The
 * promise itself is never shared: workerd does not let one request await another request's pending work,
 * so two requests that miss together both load, and the later one's value is kept.
 */
export function memoizeResolved<K extends object, V>(load: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const resolved = new WeakMap<K, V>();
  return async (key) => {
    const cached = resolved.get(key);
    if (cached !== undefined) return cached;
    const value = await load(key);
    resolved.set(key, value);
    return value;
  };
}
