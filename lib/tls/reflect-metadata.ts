// @peculiar/x509 depends on tsyringe, which refuses to load without a Reflect metadata polyfill.
// tsyringe only calls getMetadata / getOwnMetadata / defineMetadata, and x509 never emits
// `design:*` metadata, so this WeakMap-backed subset is enough. It is installed only when no
// polyfill is present, so a real `reflect-metadata` import elsewhere always wins.
// Must be imported before '@peculiar/x509' (ESM evaluates imports in order).

type MetadataMap = Map<unknown, unknown>;
const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();

function ownMap(target: object, property: PropertyKey | undefined, create: boolean): MetadataMap | undefined {
  let byProperty = store.get(target);
  if (byProperty === undefined) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (map === undefined && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  Object.assign(Reflect, {
    defineMetadata(key: unknown, value: unknown, target: object, property?: PropertyKey): void {
      ownMap(target, property, true)?.set(key, value);
    },
    getOwnMetadata(key: unknown, target: object, property?: PropertyKey): unknown {
      return ownMap(target, property, false)?.get(key);
    },
    getMetadata(key: unknown, target: object, property?: PropertyKey): unknown {
      for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
        const map = ownMap(o, property, false);
        if (map?.has(key)) return map.get(key);
      }
      return undefined;
    },
  });
}
