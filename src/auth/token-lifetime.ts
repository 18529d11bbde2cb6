import type { JWTPayload } from 'jose';

/** Why a token's times are refused, beyond `exp` and `nbf` (which jose checks). */
export type LifetimeRefusal = 'no-issue-time' | 'lives-too-long' | 'issued-in-the-future';

export interface LifetimeBounds {
  /** The longest `exp - iat` accepted, in seconds; 0 accepts any, and tokens without `iat`. */
  readonly maxAgeSeconds: number;
  readonly clockSkewSeconds: number;
}

/**
 * Why a verified token's lifetime is refused, if it is: a stolen token that never expires (a
 * 100-year `exp`) or that claims to be issued years from now must not be usable for that long.
 * jose checks `iat` only together with its own `maxTokenAge`, which bounds the time since `iat`
 * rather than the lifetime the issuer granted, so both checks are made here. A token without
 * `exp` is left to claims.ts, which refuses it.
 */
export function lifetimeRefusal(
  claims: JWTPayload,
  bounds: LifetimeBounds,
  nowSeconds = Math.floor(Date.now() / 1000),
): LifetimeRefusal | undefined {
  const { iat, exp } = claims; // numbers when present: jose refuses other types
  if (iat !== undefined && iat > nowSeconds + bounds.clockSkewSeconds) return 'issued-in-the-future';
  if (bounds.maxAgeSeconds === 0 || exp === undefined) return undefined;
  if (iat === undefined) return 'no-issue-time';
  return exp - iat > bounds.maxAgeSeconds ? 'lives-too-long' : undefined;
}
