import {
  beijingDate,
  campaignId,
  campaignRequest,
  endOfBeijingDay,
  outsideWindow,
  refilingDateSchema,
  verificationWindow,
} from './verification-window';

const SHANGZHOU = { refilingDate: '04-20', leadDays: 30 };

describe('the verification campaign window', () => {
  it.each([
    // [now (UTC), year, opens on, open, days to re-filing]
    ['2027-03-20T15:59:59Z', 2027, '2027-03-21', false, 31], // 23:59:59 Beijing, the day before it opens
    ['2027-03-20T16:00:00Z', 2027, '2027-03-21', true, 30], // 00:00 Beijing, the first day
    ['2027-04-20T15:59:59Z', 2027, '2027-03-21', true, 0], // the re-filing day itself, last second
    ['2027-04-20T16:00:00Z', 2028, '2028-03-21', false, 365], // the day after: next year's date
    ['2027-12-31T20:00:00Z', 2028, '2028-03-21', false, 110], // 1 January in Beijing already
    ['2028-03-21T00:00:00Z', 2028, '2028-03-21', true, 30], // a leap year: 30 days still fall on 21 March
  ] as const)('at %s: %i, opens %s, open %s, %i days left', (now, year, opensOn, open, days) => {
    const w = verificationWindow(SHANGZHOU, new Date(now));
    expect(w).toEqual({
      year,
      refilingDate: `${year}-04-20`,
      opensOn,
      open,
      daysToRefiling: days,
    });
  });

  it('a lead time across the new year opens in the previous December', () => {
    const w = verificationWindow({ refilingDate: '01-10', leadDays: 20 }, new Date('2026-12-25T04:00:00Z'));
    expect(w).toMatchObject({ year: 2027, refilingDate: '2027-01-10', opensOn: '2026-12-21', open: true });
  });

  it('says why a campaign may not start outside the window, naming the settings', () => {
    const closed = verificationWindow(SHANGZHOU, new Date('2027-01-05T02:00:00Z'));
    expect(outsideWindow(closed, SHANGZHOU)).toBe(
      'the 2027 verification campaign opens on 2027-03-21, 30 days before the re-filing date 2027-04-20 ' +
        '(VERIFY_REFILING_DATE=04-20, VERIFY_LEAD_DAYS=30)',
    );
    expect(outsideWindow(verificationWindow(SHANGZHOU, new Date('2027-04-01T02:00:00Z')), SHANGZHOU)).toBe(
      undefined,
    );
  });

  it.each(['4-20', '04/20', '13-01', '02-30', '02-29', '00-10', ''])('refuses re-filing date %j', (s) => {
    expect(refilingDateSchema.safeParse(s).success).toBe(false);
  });
  it.each(['04-20', '12-31', '01-01', '02-28'])('takes re-filing date %s', (s) => {
    expect(refilingDateSchema.safeParse(s).success).toBe(true);
  });

  it('Beijing days: the calendar date and the end of a day', () => {
    expect(beijingDate(new Date('2027-04-19T16:00:00Z'))).toBe('2027-04-20');
    expect(endOfBeijingDay('2027-04-20').toISOString()).toBe('2027-04-20T16:00:00.000Z');
  });
});

describe('the campaign', () => {
  const w = verificationWindow(SHANGZHOU, new Date('2027-04-01T02:00:00Z'));

  it('has one id per year and scope, whatever the order of the areas', () => {
    expect(campaignId(2027, ['140212000000'])).toBe('verify-2027-140212000000');
    const two = campaignId(2027, ['140213000000', '140212000000']);
    expect(two).toMatch(/^verify-2027-[0-9a-f]{12}$/);
    expect(campaignId(2027, ['140212000000', '140213000000', '140212000000'])).toBe(two);
    expect(campaignId(2028, ['140212000000'])).not.toBe(campaignId(2027, ['140212000000']));
  });

  it('is an Exercise with purpose verification that expires at the end of the re-filing day', () => {
    const req = campaignRequest(w, ['140212000000']);
    expect(req).toEqual({
      id: 'verify-2027-140212000000',
      status: 'Exercise',
      purpose: 'verification',
      hazard: 'flood',
      subtype: 'river',
      level: 'blue',
      headline: '【演练】2027年度责任人号码核查（04月20日前确认）',
      areas: [{ code: '140212000000' }],
      expires: '2027-04-20T16:00:00.000Z',
    });
    // The same request again (the command, then the console): intake takes it as a repeat.
    expect(campaignRequest(w, ['140212000000'])).toEqual(req);
  });
});
