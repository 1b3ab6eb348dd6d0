import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { circle } from '@turf/circle';
import { polygon as turfPolygon } from '@turf/helpers';
import type { Feature, Polygon } from 'geojson';
import type { WarningMessage } from '../../../contracts/generated/warning';

/**
 * CAP polygons and circles as the villages they cover. A village is covered when its point (from the
 * directory) lies inside a shape. CAP and the warning write points as [latitude, longitude]; GeoJSON,
 * which turf computes on, as [longitude, latitude].
 */
export type Shape = NonNullable<WarningMessage['geometry']>[number];

export interface VillagePoint {
  code: string;
  name: string;
  lat: number;
  lon: number;
}

/** Segments of a circle's polygon: 64 keeps the edge within 0.2 % of the radius. */
const CIRCLE_STEPS = 64;

function asFeature(shape: Shape): Feature<Polygon> | undefined {
  if (shape.kind === 'polygon' && shape.points && shape.points.length >= 4)
    return turfPolygon([shape.points.map(([lat, lon]) => [lon, lat])]);
  if (shape.kind === 'circle' && shape.center && shape.radiusKm !== undefined && shape.radiusKm > 0)
    return circle([shape.center[1], shape.center[0]], shape.radiusKm, {
      units: 'kilometers',
      steps: CIRCLE_STEPS,
    });
  return undefined;
}

/** A short label of a shape, recorded as how a village was mapped. */
export function shapeLabel(shape: Shape, index: number): string {
  if (shape.kind === 'circle') return `circle ${shape.center?.join(',')} ${shape.radiusKm} km`;
  return `polygon ${index + 1} (${shape.points?.length ?? 0} points)`;
}

/** The villages whose point lies inside any of the shapes, each with the first shape that covers it. */
export function villagesIn(shapes: Shape[], villages: VillagePoint[]): (VillagePoint & { shape: string })[] {
  const features = shapes.map((s, i) => ({ feature: asFeature(s), label: shapeLabel(s, i) }));
  const out: (VillagePoint & { shape: string })[] = [];
  for (const v of villages) {
    const hit = features.find((f) => f.feature && booleanPointInPolygon([v.lon, v.lat], f.feature));
    if (hit) out.push({ ...v, shape: hit.label });
  }
  return out.sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * Polygons of a pasted GeoJSON value (a Polygon, MultiPolygon, Feature or FeatureCollection) as
 * warning shapes, or the reason it is not one.
 */
export function shapesFromGeoJson(input: unknown): { shapes: Shape[] } | { error: string } {
  const shapes: Shape[] = [];
  const ring = (coords: unknown): string | undefined => {
    if (!Array.isArray(coords) || coords.length < 4) return 'a ring needs at least 4 positions';
    const pts: [number, number][] = [];
    for (const c of coords) {
      if (!Array.isArray(c) || c.length < 2 || !c.slice(0, 2).every((n) => typeof n === 'number'))
        return 'a position must be [longitude, latitude]';
      const [lon, lat] = c as number[];
      if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return `position ${lon},${lat} is off the globe`;
      pts.push([lat, lon]);
    }
    const [first, last] = [pts[0], pts[pts.length - 1]];
    if (first[0] !== last[0] || first[1] !== last[1]) return 'a ring must end where it starts';
    shapes.push({ kind: 'polygon', points: pts });
    return undefined;
  };
  const visit = (g: unknown): string | undefined => {
    const o = g as { type?: unknown; coordinates?: unknown; geometry?: unknown; features?: unknown };
    if (!o || typeof o !== 'object') return 'not a GeoJSON object';
    switch (o.type) {
      case 'Polygon':
        // The outer ring; holes are ignored (a village in a hole is still called: erring towards more).
        return Array.isArray(o.coordinates) ? ring(o.coordinates[0]) : 'Polygon without coordinates';
      case 'MultiPolygon':
        if (!Array.isArray(o.coordinates)) return 'MultiPolygon without coordinates';
        for (const p of o.coordinates) {
          const e = Array.isArray(p) ? ring(p[0]) : 'MultiPolygon member is not a polygon';
          if (e) return e;
        }
        return undefined;
      case 'Feature':
        return visit(o.geometry);
      case 'FeatureCollection':
        if (!Array.isArray(o.features)) return 'FeatureCollection without features';
        for (const f of o.features) {
          const e = visit(f);
          if (e) return e;
        }
        return undefined;
      default:
        return `GeoJSON type ${JSON.stringify(o.type)} is not a Polygon, MultiPolygon, Feature or FeatureCollection`;
    }
  };
  const error = visit(input);
  if (error) return { error };
  if (shapes.length === 0) return { error: 'no polygon in the GeoJSON' };
  return { shapes };
}
