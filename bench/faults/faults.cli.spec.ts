import { parseArgs, UsageError } from './faults.cli';

describe('npm run faults: the command line', () => {
  it('takes the documented options', () => {
    const o = parseArgs([
      '--persons',
      '414',
      '--trials',
      '1',
      '--faults',
      'kill-notifier,kafka-kill',
      '--seed',
      '7',
    ]);
    expect(o).toMatchObject({ persons: 414, trials: 1, faults: ['kill-notifier', 'kafka-kill'], seed: 7 });
  });

  it('refuses a mistyped option instead of starting a run with the defaults', () => {
    expect(() => parseArgs(['--person', '414'])).toThrow(UsageError);
    expect(() => parseArgs(['--persons', '414', '--trial', '1'])).toThrow(/unknown option --trial/);
  });

  it('refuses bad values and unknown faults', () => {
    expect(() => parseArgs(['--persons', '0'])).toThrow(UsageError);
    expect(() => parseArgs(['--kafka', 'three'])).toThrow(UsageError);
    expect(() => parseArgs(['--faults', 'kill-everything'])).toThrow(/unknown fault/);
  });
});
