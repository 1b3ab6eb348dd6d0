import { DEFAULT_POLICY, DEFAULT_SEND_ORDER, parsePolicy, PolicyError, SendOrderRule } from './policy';
import { LOWEST_PRIORITY, orderPosition, sendPriority, SendPriorityInput } from './send-priority';

const COUNTY = '140212000000';
const TOWNSHIP = '140212100000';
const VILLAGE = '140212100201';
const OTHER_VILLAGE = '140213100201';

const p = (over: Partial<SendPriorityInput>, order: readonly SendOrderRule[] = DEFAULT_SEND_ORDER) =>
  sendPriority({ purpose: 'callout', level: 'red', drill: false, ...over }, order);

describe('sendPriority: the claim order when rate-bound (lowest first)', () => {
  it('puts follow-ups of any warning before first call-outs, whatever their level', () => {
    const blueRedial = p({ purpose: 'redial', level: 'blue', areaCode: VILLAGE, role: 'grid-worker' });
    const redFirst = p({ purpose: 'callout', level: 'red', areaCode: COUNTY, role: 'party-gov-head' });
    expect(blueRedial).toBeLessThan(redFirst);
    for (const purpose of ['redial', 'escalation', 'settled', 'lift', 'help', 'handoff'] as const)
      expect(p({ purpose, level: 'blue' })).toBeLessThan(redFirst);
    // An update notice goes to everyone already called: a fan-out too.
    expect(p({ purpose: 'update', level: 'red' })).toBeGreaterThan(blueRedial);
  });

  it('puts the higher level first within a class: red, orange, yellow, blue, then no level', () => {
    const byLevel = ['red', 'orange', 'yellow', 'blue', null].map((level) =>
      p({ level, areaCode: VILLAGE, role: 'grid-worker' }),
    );
    expect([...byLevel].sort((a, b) => a - b)).toEqual(byLevel);
    expect(new Set(byLevel).size).toBe(5);
    // The policy's order never crosses a level: a blue county head waits behind a red village.
    expect(p({ level: 'red', areaCode: VILLAGE, role: 'grid-worker' })).toBeLessThan(
      p({ level: 'blue', areaCode: COUNTY, role: 'party-gov-head' }),
    );
    expect(p({ level: 'purple' })).toBe(p({ level: null }));
  });

  it('puts a real warning before any drill (a drill or verification campaign never delays one)', () => {
    const realBlueFirst = p({ purpose: 'callout', level: 'blue', areaCode: VILLAGE });
    const drillRedRedial = p({ purpose: 'redial', level: 'red', drill: true, areaCode: COUNTY });
    expect(realBlueFirst).toBeLessThan(drillRedRedial);
    expect(p({ purpose: 'update', level: null, drill: true, areaCode: VILLAGE })).toBeLessThanOrEqual(
      LOWEST_PRIORITY,
    );
  });

  it('orders one warning by the default send order: county and township heads, flood control, then villages', () => {
    const at = (role: string, areaCode: string) => p({ role, areaCode });
    const ordered = [
      at('party-gov-head', COUNTY),
      at('party-gov-head', TOWNSHIP),
      at('flood-control', COUNTY),
      at('flood-control', TOWNSHIP),
      at('info-officer', COUNTY),
      at('grid-worker', TOWNSHIP),
      at('grid-worker', VILLAGE),
    ];
    for (let i = 1; i < ordered.length; i++) expect(ordered[i - 1]).toBeLessThanOrEqual(ordered[i]);
    expect(ordered[0]).toBeLessThan(ordered[1]);
    expect(ordered[1]).toBeLessThan(ordered[2]);
    expect(ordered[3]).toBeLessThan(ordered[4]);
    expect(ordered[5]).toBeLessThan(ordered[6]);
    // Flood control at county and township share one rule: the same place, oldest first between them.
    expect(ordered[2]).toBe(ordered[3]);
  });

  it('follows a policy’s own order: roles, levels and named areas, first matching rule wins', () => {
    const order: SendOrderRule[] = [
      { areas: [TOWNSHIP], levels: ['village'] }, // the villages of the township the river floods
      { role: 'flash-flood-warner' },
      { levels: ['county', 'township'] },
    ];
    expect(orderPosition(order, 'grid-worker', VILLAGE)).toBe(0);
    expect(orderPosition(order, 'flash-flood-warner', VILLAGE)).toBe(0);
    expect(orderPosition(order, 'flash-flood-warner', OTHER_VILLAGE)).toBe(1);
    expect(orderPosition(order, 'party-gov-head', COUNTY)).toBe(2);
    expect(orderPosition(order, 'grid-worker', OTHER_VILLAGE)).toBe(3);
    // No role or area known: only a rule that asks for neither matches.
    expect(orderPosition(order, null, null)).toBe(3);
    expect(orderPosition([{}], null, null)).toBe(0);
    expect(p({ role: 'grid-worker', areaCode: VILLAGE }, order)).toBeLessThan(
      p({ role: 'party-gov-head', areaCode: COUNTY }, order),
    );
  });

  it('is a policy setting: validated at start, defaulted when a policy file has none', () => {
    expect(DEFAULT_POLICY.sendOrder).toEqual(DEFAULT_SEND_ORDER);
    const { sendOrder: _omitted, ...withoutOrder } = DEFAULT_POLICY;
    expect(parsePolicy(withoutOrder).sendOrder).toBeUndefined();
    expect(
      parsePolicy({ ...DEFAULT_POLICY, sendOrder: [{ role: 'inspector', levels: ['village'] }] }).sendOrder,
    ).toEqual([{ role: 'inspector', levels: ['village'] }]);
    expect(() => parsePolicy({ ...DEFAULT_POLICY, sendOrder: [{ role: 'mayor' }] })).toThrow(PolicyError);
    expect(() => parsePolicy({ ...DEFAULT_POLICY, sendOrder: [{ areas: ['1402'] }] })).toThrow(
      /sendOrder\.0\.areas\.0/,
    );
    expect(() => parsePolicy({ ...DEFAULT_POLICY, sendOrder: [{ level: 'county' }] })).toThrow(PolicyError);
  });
});
