import { createHash } from 'node:crypto';

/**
 * The git blob id of a text, as GitLab reports it in `blob_id`: a file's identity that changes with
 * any edit, so a diff shown earlier can be checked against the file as it is now.
 *
 * @public
 */
export function gitBlobId(text: string): string {
  const body = Buffer.from(text, 'utf8');
  return createHash('sha1')
    .update(`blob ${body.length}\0`)
    .update(body)
    .digest('hex');
}
