import { DomainError } from '../errors';

/** The generation formats of the GET /v1/credits reference; their estimates live in generation_formats. */
export const GENERATION_FORMATS = [
  'slideshow_builder',
  'slideshow_remix',
  'video_remix',
  'ugc_remix',
  'auto',
] as const;
export type GenerationFormat = (typeof GENERATION_FORMATS)[number];

export function isGenerationFormat(value: unknown): value is GenerationFormat {
  return typeof value === 'string' && (GENERATION_FORMATS as readonly string[]).includes(value);
}

export const unknownFormat = (): DomainError =>
  new DomainError('UNKNOWN_FORMAT', `format must be one of ${GENERATION_FORMATS.join(', ')}`, {
    field: 'format',
    allowed: GENERATION_FORMATS,
  });

export function requireFormat(value: unknown): GenerationFormat {
  if (!isGenerationFormat(value)) throw unknownFormat();
  return value;
}
