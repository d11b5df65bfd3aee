import type { PlatformName } from '../wallet/statuses';

/**
 * An ad platform as the wallet needs it: pause and resume an org's agency-mode campaigns, one project at a
 * time. A real Meta, TikTok or Google adapter implements this over the platform's API; dev and tests use
 * the fake of ./fake.ts. The wallet workflow calls it from an activity retried until the platform answers,
 * so an adapter must be idempotent for a request key (asking twice pauses once) and resolve only when the
 * platform has confirmed.
 */
export interface AdPlatform {
  pauseProject(request: AdRequest): Promise<AdConfirmation>;
  resumeProject(request: AdRequest): Promise<AdConfirmation>;
}

export interface AdRequest {
  orgId: string;
  projectId: string;
  /** The wallet's business key of the decision plus the project: the same request on every retry. */
  requestKey: string;
}

export interface AdConfirmation {
  /** How many of the project's campaigns the platform changed (0 when it had none running). */
  campaigns: number;
}

/** One adapter per platform the wallet pays. */
export type AdPlatforms = Record<PlatformName, AdPlatform>;

/** What the platforms confirmed for one project, kept with the pause or resume (wallet_ad_actions). */
export interface AdActionProject {
  projectId: string;
  platform: PlatformName;
  campaigns: number;
}
