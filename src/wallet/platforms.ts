import { DomainError } from '../errors';
import { AD_PLATFORMS, type PlatformName } from './statuses';

export const isAdPlatform = (value: unknown): value is PlatformName =>
  typeof value === 'string' && (AD_PLATFORMS as readonly string[]).includes(value);

export const unknownPlatform = (): DomainError =>
  new DomainError('UNKNOWN_PLATFORM', `platform must be one of ${AD_PLATFORMS.join(', ')}`, {
    field: 'platform',
    platforms: [...AD_PLATFORMS],
  });

/** 400 UNKNOWN_PLATFORM for anything but a platform the wallet pays (AD_PLATFORMS says how to add one). */
export function requirePlatform(value: unknown): PlatformName {
  if (!isAdPlatform(value)) throw unknownPlatform();
  return value;
}
