/*
 * Type-level checks that a schema written here names only fields a vendor's own types name, with
 * types those allow: a misspelt field in the schema then fails `tsc` instead of passing unnoticed.
 */

type Item<T> = NonNullable<T> extends ReadonlyArray<infer I> ? I : never;

type Prefixed<K extends string, P> = P extends string ? `${K}.${P}` : never;

/** The dotted paths of fields of A that B does not have; never when A uses only B's fields. */
export type UnknownFields<A, B> = A extends ReadonlyArray<infer AItem>
  ? UnknownFields<AItem, Item<B>>
  : A extends object
  ? {
      [K in keyof A & string]-?: K extends keyof NonNullable<B>
        ? Prefixed<
            K,
            UnknownFields<
              NonNullable<A[K]>,
              NonNullable<B>[K & keyof NonNullable<B>]
            >
          >
        : K;
    }[keyof A & string]
  : never;

/** JSON carries a vendor type's enums as plain strings, so those count as string. */
type Loose<T> = T extends string
  ? string
  : T extends ReadonlyArray<infer I>
  ? Array<Loose<I>>
  : T extends object
  ? { [K in keyof T]: Loose<T[K]> }
  : T;

/** `true` when A names only B's fields and is assignable to B; otherwise what is wrong. */
export type Fits<A, B> = [UnknownFields<A, B>] extends [never]
  ? [A] extends [Loose<B>]
    ? true
    : { notAssignable: A; to: B }
  : { unknownFields: UnknownFields<A, B> };

/** Compiles only when `Fits<A, B>` holds; call it with `true`. */
export function expectFits<A, B>(proof: Fits<A, B>): Fits<A, B> {
  return proof;
}

type Rest<P extends string, K extends string> = P extends `${K}.${infer R}`
  ? R
  : never;

/** T without the fields at dotted paths, for fields a vendor answers but its types leave out. */
export type OmitPath<T, P extends string> = {
  [K in keyof T as K extends P ? never : K]: K extends string
    ? [Rest<P, K>] extends [never]
      ? T[K]
      : OmitPathIn<T[K], Rest<P, K>>
    : T[K];
};

type OmitPathIn<T, P extends string> = T extends ReadonlyArray<infer I>
  ? Array<OmitPath<I, P>>
  : T extends object
  ? OmitPath<T, P>
  : T;

/** Compiles only when A names no field B lacks (types aside); call it with `true`. */
export function expectKnownFields<A, B>(
  proof: [UnknownFields<A, B>] extends [never]
    ? true
    : { unknownFields: UnknownFields<A, B> },
) {
  return proof;
}
