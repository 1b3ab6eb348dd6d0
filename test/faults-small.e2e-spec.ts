import { FAULTS, FaultSuite } from '../bench/faults/fault-suite';

/**
 * The fault suite (npm run faults) in small: the smallest generated Datong roster (414 persons: the
 * county and township officials), one trial per fault, every service a process of its own on a
 * PostgreSQL instance and a Kafka broker of the suite's own. Each trial must end with nobody lost,
 * nobody called twice, every confirmation applied once, every due deadline fired once and escalated,
 * the ledger complete and in order, and audit:verify passing.
 */
const names = Object.keys(FAULTS);

describe('fault suite, small (414 persons, one trial per fault)', () => {
  const lines: string[] = [];
  const suite = new FaultSuite({
    persons: 414,
    trials: 1,
    faults: names,
    lateMs: 5_000,
    seed: 1,
    log: (l) => lines.push(l),
  });

  beforeAll(() => suite.start(), 300_000);
  afterAll(() => suite.stop(), 120_000);

  it.each(names)(
    '%s: 0 lost, 0 called twice, confirmations and deadlines once, the ledger verifies',
    async (name) => {
      const [r] = await suite.runFaults([name]);
      const got = {
        errors: r.errors,
        lost: r.lost,
        calledTwice: r.calledTwice,
        duplicateSends: r.duplicateSends,
        confirmationsLost: r.confirmationsLost,
        confirmationsAppliedTwice: r.confirmationsAppliedTwice,
        deadlinesNotFired: r.deadlinesNotFired,
        deadlinesFiredTwice: r.deadlinesFiredTwice,
        unescalated: r.unescalated,
        ledgerProblems: r.ledgerProblems,
        auditVerify: r.auditVerify,
      };
      const want = {
        errors: [],
        lost: 0,
        calledTwice: 0,
        duplicateSends: 0,
        confirmationsLost: 0,
        confirmationsAppliedTwice: 0,
        deadlinesNotFired: 0,
        deadlinesFiredTwice: 0,
        unescalated: 0,
        ledgerProblems: [],
        auditVerify: 'ok',
      };
      if (JSON.stringify(got) !== JSON.stringify(want))
        throw new Error(
          `${name}: ${JSON.stringify(got)}\n${lines.slice(-40).join('\n')}\n${suite.p.output()}`,
        );
      expect(r.persons).toBe(414);
      expect(r.confirmationsPosted + r.deadlinesDue).toBe(414);
      expect(r.passed).toBe(true);
    },
    600_000,
  );
});
