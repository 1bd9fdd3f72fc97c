// A hand-written model of the parts of zod 3 that donkeylabs projects use.
// Output types are inferred faithfully (optional keys, nullable, enums,
// arrays); validation refinements only need to exist and chain.

export type ZodRawShape = { [k: string]: ZodTypeAny };
export type ZodTypeAny = ZodType<any, any>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<S extends ZodRawShape> = {
  [K in keyof S]: undefined extends S[K]["_output"] ? K : never;
}[keyof S];
type RequiredKeys<S extends ZodRawShape> = Exclude<keyof S, OptionalKeys<S>>;
export type objectOutputType<S extends ZodRawShape> = Flatten<
  { [K in RequiredKeys<S>]: S[K]["_output"] } & { [K in OptionalKeys<S>]?: S[K]["_output"] }
>;
export type objectInputType<S extends ZodRawShape> = Flatten<
  { [K in RequiredKeys<S>]: S[K]["_input"] } & { [K in OptionalKeys<S>]?: S[K]["_input"] }
>;

export type SafeParseReturnType<I, O> =
  | { success: true; data: O; error?: never }
  | { success: false; error: ZodError<I>; data?: never };

export declare class ZodError<T = any> extends Error {
  issues: { path: (string | number)[]; message: string; code: string }[];
  flatten(): { formErrors: string[]; fieldErrors: { [k: string]: string[] | undefined } };
  readonly __input?: T;
}

export declare abstract class ZodType<Output = any, Input = Output> {
  readonly _type: Output;
  readonly _output: Output;
  readonly _input: Input;
  parse(data: unknown): Output;
  safeParse(data: unknown): SafeParseReturnType<Input, Output>;
  parseAsync(data: unknown): Promise<Output>;
  optional(): ZodOptional<this>;
  nullable(): ZodNullable<this>;
  nullish(): ZodOptional<ZodNullable<this>>;
  array(): ZodArray<this>;
  default(value: Exclude<Output, undefined>): ZodDefault<this>;
  describe(description: string): this;
  refine(check: (value: Output) => unknown, message?: string | { message?: string }): this;
  transform<T>(fn: (value: Output) => T): ZodEffects<this, T>;
  or<T extends ZodTypeAny>(other: T): ZodUnion<[this, T]>;
}

export declare class ZodString extends ZodType<string> {
  min(length: number, message?: string): ZodString;
  max(length: number, message?: string): ZodString;
  length(length: number, message?: string): ZodString;
  email(message?: string): ZodString;
  url(message?: string): ZodString;
  uuid(message?: string): ZodString;
  regex(pattern: RegExp, message?: string): ZodString;
  datetime(options?: { offset?: boolean }): ZodString;
  trim(): ZodString;
  toLowerCase(): ZodString;
}
export declare class ZodNumber extends ZodType<number> {
  int(message?: string): ZodNumber;
  min(value: number, message?: string): ZodNumber;
  max(value: number, message?: string): ZodNumber;
  positive(message?: string): ZodNumber;
  nonnegative(message?: string): ZodNumber;
}
export declare class ZodBoolean extends ZodType<boolean> {}
export declare class ZodDate extends ZodType<Date> {}
export declare class ZodAny extends ZodType<any> {}
export declare class ZodUnknown extends ZodType<unknown> {}
export declare class ZodVoid extends ZodType<void> {}
export declare class ZodNull extends ZodType<null> {}
export declare class ZodLiteral<T extends string | number | boolean> extends ZodType<T> {
  readonly value: T;
}
export declare class ZodEnum<T extends [string, ...string[]]> extends ZodType<T[number]> {
  readonly options: T;
  readonly enum: { [K in T[number]]: K };
}
export declare class ZodOptional<T extends ZodTypeAny> extends ZodType<T["_output"] | undefined, T["_input"] | undefined> {
  unwrap(): T;
}
export declare class ZodNullable<T extends ZodTypeAny> extends ZodType<T["_output"] | null, T["_input"] | null> {
  unwrap(): T;
}
export declare class ZodDefault<T extends ZodTypeAny> extends ZodType<Exclude<T["_output"], undefined>, T["_input"] | undefined> {}
export declare class ZodEffects<T extends ZodTypeAny, O = T["_output"]> extends ZodType<O, T["_input"]> {}
export declare class ZodArray<T extends ZodTypeAny> extends ZodType<T["_output"][], T["_input"][]> {
  readonly element: T;
  min(length: number, message?: string): ZodArray<T>;
  max(length: number, message?: string): ZodArray<T>;
  nonempty(message?: string): ZodArray<T>;
}
export declare class ZodObject<S extends ZodRawShape> extends ZodType<objectOutputType<S>, objectInputType<S>> {
  readonly shape: S;
  extend<E extends ZodRawShape>(shape: E): ZodObject<Omit<S, keyof E> & E>;
  pick<M extends { [K in keyof S]?: true }>(mask: M): ZodObject<Pick<S, Extract<keyof S, keyof M>>>;
  omit<M extends { [K in keyof S]?: true }>(mask: M): ZodObject<Omit<S, keyof M>>;
  partial(): ZodObject<{ [K in keyof S]: ZodOptional<S[K]> }>;
  strict(): ZodObject<S>;
  passthrough(): ZodObject<S>;
}
export declare class ZodUnion<T extends readonly ZodTypeAny[]> extends ZodType<T[number]["_output"], T[number]["_input"]> {}
export declare class ZodRecord<K extends ZodTypeAny, V extends ZodTypeAny> extends ZodType<Record<K["_output"], V["_output"]>> {}

export type infer<T extends ZodTypeAny> = T["_output"];
export type input<T extends ZodTypeAny> = T["_input"];
export type output<T extends ZodTypeAny> = T["_output"];
export type TypeOf<T extends ZodTypeAny> = T["_output"];

declare function string(): ZodString;
declare function number(): ZodNumber;
declare function boolean(): ZodBoolean;
declare function date(): ZodDate;
declare function any(): ZodAny;
declare function unknown(): ZodUnknown;
declare function voidType(): ZodVoid;
declare function nullType(): ZodNull;
declare function literal<T extends string | number | boolean>(value: T): ZodLiteral<T>;
declare function enumType<const T extends [string, ...string[]]>(values: T): ZodEnum<T>;
declare function object<S extends ZodRawShape>(shape: S): ZodObject<S>;
declare function array<T extends ZodTypeAny>(element: T): ZodArray<T>;
declare function optional<T extends ZodTypeAny>(schema: T): ZodOptional<T>;
declare function nullable<T extends ZodTypeAny>(schema: T): ZodNullable<T>;
declare function union<const T extends readonly [ZodTypeAny, ...ZodTypeAny[]]>(options: T): ZodUnion<T>;
declare function record<V extends ZodTypeAny>(value: V): ZodRecord<ZodString, V>;

export {
  string,
  number,
  boolean,
  date,
  any,
  unknown,
  voidType as void,
  nullType as null,
  literal,
  enumType as enum,
  object,
  array,
  optional,
  nullable,
  union,
  record,
};

export * as z from "./index";
