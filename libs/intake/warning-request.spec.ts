import { WarningMessage } from '../../contracts/generated/warning';
import { draftWarning, fieldOfPath, PURPOSE_REFUSED } from './warning-request';

const now = new Date('2024-07-01T00:00:00Z');
const ctx = { msgType: 'Alert' as const, placeholderId: 'pending', now, defaultSender: '大同市应急管理局' };
const body = {
  hazard: 'meteorological',
  subtype: 'rainstorm',
  level: 'orange',
  headline: '暴雨橙色预警',
  areas: [{ code: '140212000000' }],
  expires: '2024-07-02T08:00:00+08:00',
};

describe('draftWarning (duty-officer request → canonical warning)', () => {
  it('fills the defaults: Alert, Actual, sender, sentAt/effective now, source duty-officer', () => {
    const d = draftWarning(body, ctx);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.warning).toMatchObject({
      schemaVersion: 1,
      id: 'pending',
      msgType: 'Alert',
      status: 'Actual',
      sender: '大同市应急管理局',
      sentAt: now.toISOString(),
      effective: now.toISOString(),
      source: 'duty-officer',
    });
  });

  it('takes purpose only in the verification campaign request, and only as an Exercise', () => {
    const campaign = { ...ctx, campaign: true };
    const drill = draftWarning({ ...body, status: 'Exercise', purpose: 'verification' }, campaign);
    expect(drill.ok && drill.warning).toMatchObject({ status: 'Exercise', purpose: 'verification' });
    const real = draftWarning({ ...body, purpose: 'verification' }, campaign);
    expect(real.ok ? [] : real.errors).toEqual([
      { field: 'purpose', message: 'purpose verification needs status Exercise, not Actual' },
    ]);
    const other = draftWarning({ ...body, status: 'Exercise', purpose: 'census' }, campaign);
    expect(other.ok ? [] : other.errors.map((e) => e.field)).toEqual(['purpose']);
    // A duty officer's request: the campaign (every person, any level) is not theirs to start.
    const officer = draftWarning({ ...body, status: 'Exercise', purpose: 'verification' }, ctx);
    expect(officer.ok ? [] : officer.errors).toEqual([{ field: 'purpose', message: PURPOSE_REFUSED }]);
    expect(PURPOSE_REFUSED).toContain('/api/drills/verification');
  });

  it('reports schema problems per field', () => {
    const d = draftWarning({ ...body, areas: [{ code: '1402' }], level: 'purple', extra: 1 }, ctx);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.errors).toEqual([{ field: 'extra', message: 'is not a known field' }]);
    const d2 = draftWarning(
      { ...body, areas: [{ code: '1402' }], level: 'purple', headline: undefined },
      ctx,
    );
    if (d2.ok) throw new Error('expected errors');
    const fields = d2.errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['headline', 'level', 'areas[0].code']));
  });

  it('reports business rules on the field they concern', () => {
    const d = draftWarning({ ...body, subtype: 'frost', level: 'red' }, ctx);
    if (d.ok) throw new Error('expected errors');
    expect(d.errors).toEqual([
      { field: 'level', message: 'signal 霜冻 (frost) has no red level; allowed: blue, yellow, orange' },
    ]);
    const e = draftWarning({ ...body, expires: '2024-06-30T00:00:00Z' }, ctx);
    if (e.ok) throw new Error('expected errors');
    expect(e.errors[0].field).toBe('expires');
  });

  it('refuses statuses only feeds may send, and non-object bodies', () => {
    const drill = draftWarning({ ...body, status: 'Exercise' }, ctx);
    expect(drill.ok && drill.warning.status).toBe('Exercise');
    const d = draftWarning({ ...body, status: 'Test' }, ctx);
    expect(d.ok ? [] : d.errors).toEqual([{ field: 'status', message: 'must be one of Actual, Exercise' }]);
    const n = draftWarning([1], ctx);
    expect(n.ok ? [] : n.errors).toEqual([{ field: '(body)', message: 'must be a JSON object' }]);
  });

  it('builds an Update from the earlier warning, referencing it, with only the changed fields', () => {
    const base = (draftWarning({ ...body, id: 'W1' }, ctx) as { warning: WarningMessage }).warning;
    const later = new Date('2024-07-01T02:00:00Z');
    const d = draftWarning({ level: 'red' }, { ...ctx, msgType: 'Update', base, refersTo: 'W1', now: later });
    if (!d.ok) throw new Error(JSON.stringify(d.errors));
    expect(d.warning).toMatchObject({
      msgType: 'Update',
      references: ['W1'],
      level: 'red',
      subtype: 'rainstorm',
      areas: base.areas,
      sentAt: later.toISOString(),
    });
  });

  it('keeps a verification campaign a campaign through its Update and Cancel (purpose carried)', () => {
    const campaign = { ...ctx, campaign: true };
    const base = (
      draftWarning({ ...body, id: 'V1', status: 'Exercise', purpose: 'verification' }, campaign) as {
        warning: WarningMessage;
      }
    ).warning;
    const later = { ...ctx, base, refersTo: 'V1', now: new Date('2024-07-01T02:00:00Z') };
    const update = draftWarning({ headline: '核查名册' }, { ...later, msgType: 'Update' });
    expect(update.ok && update.warning).toMatchObject({ purpose: 'verification', status: 'Exercise' });
    const cancel = draftWarning({}, { ...later, msgType: 'Cancel' });
    expect(cancel.ok && cancel.warning).toMatchObject({ purpose: 'verification', status: 'Exercise' });
    // Turned into a real warning by its Update: refused, the campaign stays an exercise.
    const real = draftWarning({ status: 'Actual' }, { ...later, msgType: 'Update' });
    expect(real.ok ? [] : real.errors).toEqual([
      { field: 'purpose', message: 'purpose verification needs status Exercise, not Actual' },
    ]);
  });

  it('builds a Cancel (解除) naming what is lifted; content fields cannot change', () => {
    const base = (draftWarning({ ...body, id: 'W1' }, ctx) as { warning: WarningMessage }).warning;
    const d = draftWarning({}, { ...ctx, msgType: 'Cancel', base, refersTo: 'W1' });
    if (!d.ok) throw new Error(JSON.stringify(d.errors));
    expect(d.warning.msgType).toBe('Cancel');
    expect(d.warning.references).toEqual(['W1']);
    expect(d.warning.headline).toMatch(/^解除暴雨橙色预警/);
    const bad = draftWarning({ level: 'red' }, { ...ctx, msgType: 'Cancel', base, refersTo: 'W1' });
    expect(bad.ok ? [] : bad.errors).toEqual([
      { field: 'level', message: 'cannot be changed when cancelling' },
    ]);
  });

  it('names fields by path', () => {
    expect(fieldOfPath('/areas/0/code')).toBe('areas[0].code');
    expect(fieldOfPath('(root)')).toBe('(body)');
  });
});
