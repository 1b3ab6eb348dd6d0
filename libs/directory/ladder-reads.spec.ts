import { DirectoryRepository, PersonRow } from './directory.repository';
import { LadderReads } from './ladder-reads';

const person = (id: string): PersonRow =>
  ({ id, name: id, mobile: '+8613800000000', alt_phone: null, active: true }) as unknown as PersonRow;

/** A repository that counts its reads (the memo is what is under test, not SQL). */
function countingRepo() {
  const calls: string[] = [];
  const repo = {
    persons: async (ids: string[]) => {
      calls.push(`persons:${ids.join(',')}`);
      return ids.filter((id) => id !== 'nobody').map(person);
    },
    holders: async (role: string, area: string) => {
      calls.push(`holders:${role}:${area}`);
      return [person(`${role}@${area}`)];
    },
    periodsAt: async () => {
      calls.push('periods');
      return [];
    },
  };
  return { calls, repo: repo as unknown as DirectoryRepository };
}

describe('LadderReads', () => {
  it('reads each person, holder list and the periods once while the memo is fresh', async () => {
    const { calls, repo } = countingRepo();
    const reads = new LadderReads(repo, 60_000);
    const [a, b] = await Promise.all([reads.persons(['p1', 'p2']), reads.persons(['p2', 'p3'])]);
    expect(a.map((p) => p.id)).toEqual(['p1', 'p2']);
    expect(b.map((p) => p.id)).toEqual(['p2', 'p3']);
    expect(await reads.persons(['nobody', 'p1'])).toEqual([person('p1')]);
    await Promise.all([reads.holders('flood-control', '140212'), reads.holders('flood-control', '140212')]);
    await reads.periodsAt(new Date());
    await reads.periodsAt(new Date());
    expect(calls).toEqual([
      'persons:p1,p2',
      'persons:p3',
      'persons:nobody',
      'holders:flood-control:140212',
      'periods',
    ]);
  });

  it('reads again after ttlMs and after clear()', async () => {
    const { calls, repo } = countingRepo();
    const reads = new LadderReads(repo, 50);
    await reads.holders('duty-officer', '140200');
    await new Promise((r) => setTimeout(r, 60));
    await reads.holders('duty-officer', '140200');
    reads.clear();
    await reads.holders('duty-officer', '140200');
    expect(calls).toEqual([
      'holders:duty-officer:140200',
      'holders:duty-officer:140200',
      'holders:duty-officer:140200',
    ]);
  });

  it('does not remember a failed read', async () => {
    let fail = true;
    const repo = {
      holders: async () => {
        if (fail) throw new Error('connection lost');
        return [person('h')];
      },
    } as unknown as DirectoryRepository;
    const reads = new LadderReads(repo, 60_000);
    await expect(reads.holders('duty-officer', '140200')).rejects.toThrow('connection lost');
    fail = false;
    expect(await reads.holders('duty-officer', '140200')).toEqual([person('h')]);
  });
});
