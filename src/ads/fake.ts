import { AD_PLATFORMS, type PlatformName } from '../wallet/statuses';
import type { AdConfirmation, AdPlatform, AdPlatforms, AdRequest } from './platform';

/**
 * The ad platforms of dev mode and tests: every call is recorded, each project's campaigns are paused or
 * running, and a request key already answered is answered again without changing anything (the
 * idempotency a real adapter owes the wallet). `failNext(n)` makes the next n calls throw, as a platform
 * outage would, so tests can show the wallet retrying until the platform confirms.
 */
export interface FakeAdCall {
  platform: PlatformName;
  action: 'pause' | 'resume';
  orgId: string;
  projectId: string;
  requestKey: string;
}

export interface FakeAdPlatforms {
  platforms: AdPlatforms;
  /** Every call that reached a platform and was confirmed, in order. */
  readonly calls: readonly FakeAdCall[];
  /** Projects whose campaigns are paused on a platform, as `platform:projectId`. */
  readonly paused: ReadonlySet<string>;
  failNext(count: number): void;
}

export function createFakeAdPlatforms({
  campaignsPerProject = 2,
}: { campaignsPerProject?: number } = {}): FakeAdPlatforms {
  const calls: FakeAdCall[] = [];
  const paused = new Set<string>();
  const answered = new Map<string, AdConfirmation>();
  let failures = 0;

  const platform = (name: PlatformName): AdPlatform => {
    const act = async (action: 'pause' | 'resume', request: AdRequest): Promise<AdConfirmation> => {
      if (failures > 0) {
        failures -= 1;
        throw new Error(`${name} is unavailable (fake outage)`);
      }
      const key = `${name}:${action}:${request.requestKey}`;
      const earlier = answered.get(key);
      if (earlier) return earlier;
      const id = `${name}:${request.projectId}`;
      const changed = (action === 'pause') !== paused.has(id);
      if (action === 'pause') paused.add(id);
      else paused.delete(id);
      const confirmation = { campaigns: changed ? campaignsPerProject : 0 };
      answered.set(key, confirmation);
      calls.push({ platform: name, action, ...request });
      return confirmation;
    };
    return {
      pauseProject: (request) => act('pause', request),
      resumeProject: (request) => act('resume', request),
    };
  };

  return {
    platforms: Object.fromEntries(AD_PLATFORMS.map((name) => [name, platform(name)])) as AdPlatforms,
    calls,
    paused,
    failNext(count) {
      failures = count;
    },
  };
}
