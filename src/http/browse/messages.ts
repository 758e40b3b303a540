/**
 * What the browse pages say when something fails, in plain words. The problem catalogue's titles
 * and details are written for API clients and operators (and may quote the FTP server's reply);
 * a person reading the page gets a sentence about their files instead, chosen by status and code.
 */

/** A title and a sentence for a failed page. */
export interface PlainError {
  title: string
  detail: string
}

/** The page's words for a problem with this status and code (the catalogue's `code`). */
export function plainError(status: number, code: string, what: 'folder' | 'page' = 'page'): PlainError {
  if (status === 404)
    return what === 'folder'
      ? {
          title: 'This folder does not exist',
          detail: 'There is nothing at this address. It may have been moved, renamed or deleted.',
        }
      : { title: 'Not found', detail: 'There is nothing at this address.' }
  if (status === 403)
    return { title: 'Not allowed', detail: 'Your account may not open this. Ask whoever runs the server.' }
  if (status === 429 || code === 'GW_ERR_RATE_LIMITED')
    return { title: 'Too many requests', detail: 'Wait a moment, then try again.' }
  if (status === 400)
    return { title: 'That address does not work', detail: 'The address or one of its settings is not valid.' }
  if (status === 503 || status === 502 || status === 504)
    return {
      title: 'The file server is not answering',
      detail: 'The server behind this gateway is busy or unreachable. Try again in a little while.',
    }
  if (status === 507)
    return { title: 'The server is full', detail: 'There is no space left on the file server.' }
  if (status >= 500)
    return {
      title: 'Something went wrong',
      detail: 'The gateway could not finish this. Try again in a little while.',
    }
  return { title: 'This did not work', detail: 'The gateway could not open this page.' }
}
