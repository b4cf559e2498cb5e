/**
 * @module
 * The guest's one error class. A guest that meets hardware this model does not cover says so instead
 * of guessing (e.g. an AMD northbridge, a CRS completion).
 */
export type GuestErrorCode = 'BAD_CMDLINE' | 'UNSUPPORTED' | 'NO_CONFIG_ACCESS';

export class GuestError extends Error {
  override readonly name = 'GuestError';
  constructor(
    readonly code: GuestErrorCode,
    message: string,
  ) {
    super(message);
  }
}
