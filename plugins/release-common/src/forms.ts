import type { ReleaseApp } from './apps';

/** A version the release form offers for an app, newest first. @public */
export interface ReleaseCandidate {
  /** What the release records as the app's version: a deploy branch or a commit sha. */
  version: string;
  /** One line for the picker, e.g. "deploy-2026-01-08 · #12 SUCCESS". */
  label: string;
  source: 'branch' | 'commit';
  sha: string;
  date?: string;
  author?: string;
  title?: string;
  webUrl?: string;
  /** The newest Jenkins build of this version, when the app is built by Jenkins. */
  build?: {
    number: number;
    result: string | null;
    building: boolean;
    url: string;
  };
}

/** The versions of one app, and where they come from. @public */
export interface CandidateList {
  app: ReleaseApp;
  /** e.g. "branches ^deploy- of kop/hybris". */
  from: string;
  candidates: ReleaseCandidate[];
  /** Set when the build list could not be read; the versions are still offered. */
  buildsError?: string;
}
