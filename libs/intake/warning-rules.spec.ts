import { WarningMessage } from '../../contracts/generated/warning';
import { validateContract } from '../../contracts/validate';
import { hazardName, levelColour, levelGrade, levelName, subtypeName, SUBTYPES } from '../common/hazards';
import { formatWarningId, parseWarningId } from './warning-id';
import { checkWarning } from './warning-rules';

const base = (over: Partial<WarningMessage> = {}): WarningMessage => ({
  schemaVersion: 1,
  id: '140200000000000_20240701080000_1',
  msgType: 'Alert',
  status: 'Actual',
  sender: '大同市气象台',
  sentAt: '2024-07-01T08:00:00+08:00',
  hazard: 'meteorological',
  subtype: 'rainstorm',
  level: 'orange',
  headline: '大同市气象台发布暴雨橙色预警信号',
  areas: [{ code: '140212000000' }],
  effective: '2024-07-01T08:00:00+08:00',
  expires: '2024-07-02T08:00:00+08:00',
  ...over,
});

describe('hazard vocabulary', () => {
  it('has the 14 CMA signals and the flood, geologic and forest-fire subtypes', () => {
    expect(SUBTYPES.filter((s) => s.hazard === 'meteorological')).toHaveLength(14);
    expect(SUBTYPES.filter((s) => s.hazard !== 'meteorological').map((s) => s.code)).toEqual([
      'river',
      'flash-flood-risk',
      'village-flash-flood',
      'risk',
      'fire-danger',
      'forest-fire',
    ]);
  });
  it('names levels, hazards and subtypes in Chinese first, English on request', () => {
    expect(levelName('red')).toBe('红色');
    expect(levelName('blue', 'en')).toBe('blue');
    expect(levelName(null)).toBe('无等级');
    expect(levelGrade('orange')).toBe('II级（严重）');
    expect(levelGrade('blue', 'en')).toBe('level IV (general)');
    expect(levelColour('red')).toMatch(/^#[0-9a-f]{6}$/);
    expect(levelColour(null)).toBe('#808080');
    expect(hazardName('geologic')).toBe('地质灾害');
    expect(hazardName('forest-fire', 'en')).toBe('forest and grassland fire');
    expect(subtypeName('meteorological', 'road-icing')).toBe('道路结冰');
    expect(subtypeName('flood', 'village-flash-flood', 'en')).toBe('village flash-flood');
    expect(subtypeName('flood', 'nonsense')).toBe('nonsense');
  });
});

describe('checkWarning', () => {
  it('accepts a valid warning and the sample is valid against the contract', () => {
    expect(validateContract('warning', base()).ok).toBe(true);
    expect(checkWarning(base(), 'warnings.meteorological')).toEqual({ errors: [], unmappedAreas: [] });
  });

  it.each([
    ['frost', 'red', 'signal 霜冻 (frost) has no red level; allowed: blue, yellow, orange'],
    ['heat', 'blue', 'signal 高温 (heat) has no blue level; allowed: yellow, orange, red'],
    ['hail', 'yellow', 'signal 冰雹 (hail) has no yellow level; allowed: orange, red'],
    ['haze', 'red', 'signal 霾 (haze) has no red level; allowed: yellow, orange'],
    ['drought', 'blue', 'signal 干旱 (drought) has no blue level; allowed: orange, red'],
  ] as const)('rejects signal %s at level %s', (subtype, level, reason) => {
    expect(checkWarning(base({ subtype, level })).errors).toEqual([reason]);
  });

  it('accepts every level a signal allows', () => {
    for (const s of SUBTYPES.filter((x) => x.hazard === 'meteorological'))
      for (const level of s.levels) expect(checkWarning(base({ subtype: s.code, level })).errors).toEqual([]);
  });

  it('rejects an unknown subtype, naming the allowed ones', () => {
    expect(checkWarning(base({ hazard: 'flood', subtype: 'rainstorm' })).errors).toEqual([
      'unknown subtype rainstorm for hazard flood; allowed: river, flash-flood-risk, village-flash-flood',
    ]);
  });

  it('rejects a warning on the wrong hazard topic', () => {
    expect(checkWarning(base(), 'warnings.flood').errors).toEqual([
      'hazard meteorological arrived on warnings.flood; meteorological warnings belong on warnings.meteorological',
    ]);
    expect(checkWarning(base(), 'warnings.cap').errors[0]).toMatch(/not a hazard topic/);
  });

  it('rejects expiry before effective or onset', () => {
    expect(checkWarning(base({ expires: '2024-07-01T07:00:00+08:00' })).errors).toEqual([
      'expires (2024-07-01T07:00:00+08:00) is not after effective (2024-07-01T08:00:00+08:00)',
    ]);
    expect(checkWarning(base({ onset: '2024-07-03T00:00:00+08:00' })).errors).toEqual([
      'expires (2024-07-02T08:00:00+08:00) is not after onset (2024-07-03T00:00:00+08:00)',
    ]);
  });

  it('needs references on Update and Cancel and refuses self-references', () => {
    expect(checkWarning(base({ msgType: 'Cancel' })).errors).toEqual([
      'msgType Cancel needs references naming the warning it cancels',
    ]);
    expect(checkWarning(base({ msgType: 'Update', references: ['a'] })).errors).toEqual([]);
    expect(checkWarning(base({ references: [base().id] })).errors).toEqual([
      `warning ${base().id} references itself`,
    ]);
  });

  it('maps village flash-flood steps and checks them against the level', () => {
    const v = base({ hazard: 'flood', subtype: 'village-flash-flood' });
    expect(checkWarning({ ...v, level: 'orange', sourceLevel: '准备转移' }).errors).toEqual([]);
    expect(checkWarning({ ...v, level: 'red', sourceLevel: '立即转移' }).errors).toEqual([]);
    expect(checkWarning({ ...v, level: 'red', sourceLevel: '准备转移' }).errors[0]).toMatch(
      /source level 准备转移 means level orange, but the level is red/,
    );
    expect(checkWarning({ ...v, level: 'blue' }).errors[0]).toMatch(
      /has no blue level; allowed: orange, red/,
    );
  });

  it('records geologic grade 4 and fire-danger rating 1 with level null, and nothing else', () => {
    const g = base({ hazard: 'geologic', subtype: 'risk' });
    expect(checkWarning({ ...g, level: null, sourceLevel: 'grade-4' }).errors).toEqual([]);
    expect(checkWarning({ ...g, level: 'orange', sourceLevel: 'grade-2' }).errors).toEqual([]);
    expect(checkWarning({ ...g, level: 'blue' }).errors[0]).toMatch(/has no blue level/);
    expect(checkWarning({ ...g, level: null }).errors[0]).toMatch(/level null needs sourceLevel grade-4/);
    expect(checkWarning({ ...g, level: 'red', sourceLevel: 'grade-5' }).errors[0]).toMatch(
      /has no source level "grade-5"/,
    );
    const f = base({ hazard: 'forest-fire', subtype: 'fire-danger' });
    expect(checkWarning({ ...f, level: null, sourceLevel: 'rating-1' }).errors).toEqual([]);
    expect(checkWarning({ ...f, level: 'red', sourceLevel: 'rating-5' }).errors).toEqual([]);
    expect(checkWarning({ ...f, level: 'red', sourceLevel: 'rating-4' }).errors).toHaveLength(1);
  });

  it('returns unknown areas as unmapped, and fails only when none is known', () => {
    const mixed = base({
      areas: [{ code: '140212000000' }, { code: '990101000000' }, { code: '140212100001' }],
    });
    expect(checkWarning(mixed)).toEqual({ errors: [], unmappedAreas: ['990101000000'] });
    // A village code under an unknown township is unknown too.
    const none = base({ areas: [{ code: '990101000000' }, { code: '140212999001' }] });
    expect(checkWarning(none)).toEqual({
      errors: ['no affected area maps to a known division: 990101000000, 140212999001'],
      unmappedAreas: ['990101000000', '140212999001'],
    });
  });
});

describe('national warning identifiers', () => {
  it('parses the national pattern and refuses anything else', () => {
    expect(parseWarningId('14020004100100_20240701083000_1')).toEqual({
      area: '140200',
      agency: '041',
      unit: '001',
      ext: '00',
      issuedAt: '2024-07-01T00:30:00.000Z',
      seq: 1,
    });
    expect(parseWarningId('cap-123')).toBeNull();
    expect(parseWarningId('14020004100100_20240230083000_1')).toBeNull();
  });
  it('formats ids that parse back', () => {
    const id = formatWarningId('140212100000', '000000', new Date('2024-07-01T00:30:00Z'), 3);
    expect(id).toBe('14021200000000_20240701083000_3');
    expect(parseWarningId(id)?.issuedAt).toBe('2024-07-01T00:30:00.000Z');
  });
});
