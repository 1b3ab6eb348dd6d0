import { failedChecks, TrialResult } from './fault-suite';

const clean: TrialResult = {
  fault: 'kill-notifier',
  trial: 1,
  warningId: 'w',
  phase: 'deadlines',
  fraction: 0.51,
  at: {},
  persons: 5367,
  lost: 0,
  calledTwice: 0,
  duplicateSends: 0,
  callbacksRefused: 552,
  statusesFetched: 340,
  sendsWithoutFinalStatus: 0,
  confirmationsPosted: 2683,
  confirmationsLost: 0,
  confirmationsAppliedTwice: 0,
  deadlinesDue: 2684,
  deadlinesNotFired: 0,
  deadlinesFiredTwice: 0,
  unescalated: 0,
  ledgerProblems: [],
  auditVerify: 'ok',
  servicesExited: [],
  recoverySeconds: 211.5,
  trialSeconds: 733,
  passed: true,
  errors: [],
};

describe('fault suite: what a failed trial names', () => {
  it('names nothing for a clean trial (refused callbacks are reported, not failed)', () => {
    expect(failedChecks(clean)).toEqual([]);
  });

  it('names each check that did not hold, with its count', () => {
    expect(
      failedChecks({
        ...clean,
        duplicateSends: 7,
        ledgerProblems: ['2 events twice'],
        auditVerify: 'failed: chain broken',
      }),
    ).toEqual(['other sends twice 7', 'ledger: 2 events twice', 'audit:verify failed: chain broken']);
  });

  it('names sends whose final status never came (a refused webhook the status check did not recover)', () => {
    expect(failedChecks({ ...clean, sendsWithoutFinalStatus: 3 })).toEqual([
      'sends without a final status 3',
    ]);
  });

  it('counts a check that could not be taken (a trial stopped midway) as failed', () => {
    expect(failedChecks({ ...clean, lost: NaN })).toEqual(['lost NaN']);
  });
});
