/** A fixed-capacity log that overwrites its oldest entries. */
export interface Ring<T> {
  push(item: T): void;
  toArray(): T[];
}

export function createRing<T>(capacity: number): Ring<T> {
  const items: T[] = [];
  let next = 0;
  return {
    push(item) {
      if (items.length < capacity) items.push(item);
      else items[next] = item;
      next = (next + 1) % capacity;
    },
    toArray: () => (items.length < capacity ? [...items] : [...items.slice(next), ...items.slice(0, next)]),
  };
}
