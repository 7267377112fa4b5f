/**
 * Caller-supplied ids, checked before they can reach the upstream URL.
 *
 * The legacy path is built from these ids, so anything that is not exactly a project id or an image id
 * (a `..` segment, a percent-encoded slash, a query string) must be refused here: nothing a caller types
 * may address another upstream path.
 */

/** One image of one project: the unit the upstream answers for, and the loader's key. */
export interface ImageRef {
  readonly projectId: string;
  readonly imageId: string;
}

// Huawei publishes no pattern; every project id it shows is 32 hex characters (see the docs/legacy-api.md §1).
const PROJECT_ID = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A caller's argument that cannot be an id. The message never echoes the value: it may be huge or hostile. */
export class InvalidIdError extends Error {
  override readonly name = 'InvalidIdError';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Validates and canonicalises (lower-cases) an image reference. Huawei's ids are lower-case, so
 * `ABC…` and `abc…` name the same image and share one upstream call.
 */
export function parseImageRef(projectId: string, imageId: string): ImageRef {
  return { projectId: parseProjectId(projectId), imageId: parseImageId(imageId) };
}

export function parseProjectId(projectId: string): string {
  if (!PROJECT_ID.test(projectId)) {
    throw new InvalidIdError('projectId', 'projectId must be a project id: 32 hexadecimal characters.');
  }
  return projectId.toLowerCase();
}

/** @param index the position in a list argument, named in the message. */
export function parseImageId(imageId: string, argument = 'id', index?: number): string {
  if (!UUID.test(imageId)) {
    const label = index === undefined ? argument : `${argument}[${index}]`;
    throw new InvalidIdError(argument, `${label} must be an image id: a UUID such as 17a1890b-0fa4-485e-8505-14e294017988.`);
  }
  return imageId.toLowerCase();
}

/** The loader's cache key: one entry per distinct image within an operation. */
export function imageRefKey(ref: ImageRef): string {
  return `${ref.projectId}/${ref.imageId}`;
}
