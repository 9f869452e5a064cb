import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

/** The form field an upload's file travels in. */
export const FILE_FIELD = 'file';
/** Room the multipart framing (boundaries, part headers, small fields) may take besides the file itself. */
const FRAMING_BYTES = 64 * 1024;

/**
 * Reads the one file of a multipart/form-data upload into memory, bounded:
 * - not multipart, or no part named `file` → MULTIPART_REQUIRED;
 * - a second file → TOO_MANY_FILES;
 * - more than `maxBytes` → FILE_TOO_LARGE: refused from Content-Length
 *   before reading when it is declared, else as soon as the stream passes the
 *   bound (busboy stops keeping bytes there; at most maxBytes are held);
 * - more than a few small fields, or broken framing → VALIDATION_FAILED /
 *   MULTIPART_REQUIRED.
 * Other fields are ignored. Nothing is stored here: the caller stores only a
 * whole, checked file, so a refused or interrupted upload leaves nothing.
 */
export async function readUpload(req: FastifyRequest, maxBytes: number): Promise<{ name: string; bytes: Buffer }> {
  if (!req.isMultipart()) throw new AppError('MULTIPART_REQUIRED');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + FRAMING_BYTES) throw new AppError('FILE_TOO_LARGE');
  let found: { name: string; bytes: Buffer } | null = null;
  try {
    const parts = req.parts({
      limits: { fileSize: maxBytes, files: 1, fields: 8, fieldSize: 1024, parts: 10, headerPairs: 20 },
    });
    for await (const part of parts) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== FILE_FIELD) {
        part.file.resume();
        throw new AppError('MULTIPART_REQUIRED', `Send the file in a part named "${FILE_FIELD}".`);
      }
      found = { name: part.filename ?? '', bytes: await part.toBuffer() };
    }
  } catch (err) {
    throw multipartError(err);
  }
  if (!found) throw new AppError('MULTIPART_REQUIRED');
  return found;
}

function multipartError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  switch ((err as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('FILE_TOO_LARGE');
    case 'FST_FILES_LIMIT':
      return new AppError('TOO_MANY_FILES');
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PROTO_VIOLATION':
      return new AppError('VALIDATION_FAILED', 'An upload carries one file and a few small fields at most.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('MULTIPART_REQUIRED');
    default:
      // busboy's own complaints (no boundary, malformed part headers, a body that ends mid-part)
      return new AppError('MULTIPART_REQUIRED', 'The multipart/form-data body is malformed or incomplete.');
  }
}
