import type { WarningMessage } from '../../contracts/generated/warning';
import { divisionsAbovePolygonVillages } from './dispatcher.service';

describe('divisionsAbovePolygonVillages', () => {
  it('names the townships and counties of villages a polygon reached, not those of other areas', () => {
    const w = {
      areas: [
        { code: '140224100201', how: 'polygon' },
        { code: '140224101200', how: 'polygon' },
        { code: '140225000000', how: 'code' },
        { code: '140212100201', how: 'officer' },
      ],
    } as unknown as WarningMessage;
    expect(divisionsAbovePolygonVillages(w).sort()).toEqual(['140224000000', '140224100000', '140224101000']);
  });
});
