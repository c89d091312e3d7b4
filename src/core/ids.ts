import { uuidv7 } from 'uuidv7';

/**
 * Branded identifiers. Ids are UUIDv7 so that they sort by creation time, which keeps
 * B-tree inserts local and makes `ORDER BY id` a time order.
 */
export type Brand<T, B extends string> = T & { readonly __brand: B };
export type UserId = Brand<string, 'UserId'>;
export type ApiKeyId = Brand<string, 'ApiKeyId'>;
export type CredentialId = Brand<string, 'CredentialId'>;
export type EventId = Brand<string, 'EventId'>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const newId = <T extends string = string>(): T => uuidv7() as T;

/** Checked parser: returns the branded id, or undefined when the text is not a UUID. */
export function parseId<T extends string>(raw: string): T | undefined {
  const lower = raw.toLowerCase();
  return UUID_RE.test(lower) ? (lower as T) : undefined;
}

export const isUuid = (raw: string): boolean => UUID_RE.test(raw.toLowerCase());
