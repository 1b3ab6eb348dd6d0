import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HAZARDS } from '../../contracts/topics';
import { LEVELS } from '../common/hazards';

/*
 * OpenAPI descriptions of the duty-officer API bodies. Validation does not use these classes: the
 * body is checked against contracts/schemas/warning.schema.json and checkWarning(), the same rules
 * the dispatcher applies, and errors come back per field.
 */

export class AreaDto {
  @ApiProperty({ example: '140212000000', description: '12-digit administrative division code.' })
  code!: string;
  @ApiPropertyOptional({ example: '新荣区' })
  name?: string;
}

export class IssueWarningDto {
  @ApiPropertyOptional({
    description: 'Identifier; generated in the national pattern ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N when absent.',
  })
  id?: string;
  @ApiProperty({ enum: HAZARDS, example: 'meteorological' })
  hazard!: string;
  @ApiProperty({
    example: 'rainstorm',
    description:
      'Signal or kind: the 14 CMA signals, river, flash-flood-risk, village-flash-flood, risk, fire-danger, forest-fire.',
  })
  subtype!: string;
  @ApiPropertyOptional({ enum: [...LEVELS], nullable: true, example: 'orange' })
  level?: string | null;
  @ApiPropertyOptional({
    example: 'grade-3',
    description: 'The level as the source states it (grade-N, rating-N, 准备转移, 立即转移).',
  })
  sourceLevel?: string;
  @ApiProperty({ example: '大同市应急管理局发布暴雨橙色预警' })
  headline!: string;
  @ApiPropertyOptional()
  description?: string;
  @ApiPropertyOptional({ example: '请立即组织危险区域人员转移' })
  instruction?: string;
  @ApiPropertyOptional({ example: 'zh-CN' })
  language?: string;
  @ApiProperty({ type: [AreaDto] })
  areas!: AreaDto[];
  @ApiPropertyOptional({ example: '2024-07-01T09:00:00+08:00' })
  onset?: string;
  @ApiPropertyOptional({ description: 'Defaults to now.' })
  effective?: string;
  @ApiProperty({ example: '2024-07-02T08:00:00+08:00' })
  expires!: string;
  @ApiPropertyOptional({ enum: ['Actual', 'Exercise'], description: 'Exercise = drill (演练).' })
  status?: string;
  @ApiPropertyOptional({ example: '大同市应急管理局' })
  sender?: string;
}

export class UpdateWarningDto extends IssueWarningDto {}

export class CancelWarningDto {
  @ApiPropertyOptional({ description: 'Identifier of the cancel message; generated when absent.' })
  id?: string;
  @ApiPropertyOptional({ example: '解除暴雨橙色预警' })
  headline?: string;
  @ApiPropertyOptional()
  description?: string;
  @ApiPropertyOptional()
  instruction?: string;
  @ApiPropertyOptional()
  sender?: string;
}

export class FieldErrorDto {
  @ApiProperty({ example: 'areas[0].code' })
  field!: string;
  @ApiProperty({ example: 'must match pattern "^\\d{12}$"' })
  message!: string;
}

export class ValidationErrorDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;
  @ApiProperty({ example: 'invalid warning' })
  message!: string;
  @ApiProperty({ type: [FieldErrorDto] })
  errors!: FieldErrorDto[];
}
