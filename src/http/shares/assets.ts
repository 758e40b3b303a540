/**
 * The share pages' script and stylesheet, served from this origin (the policy allows scripts and
 * styles from 'self' only). The script does one thing: a drop box's form PUTs each chosen file to
 * `/s/{id}/files/{name}` with `If-None-Match: *` (never overwriting) and says how each went.
 */

/** The page script. */
export const SHARE_JS = `'use strict'
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('drop-form')
  if (!form) return
  const status = document.getElementById('drop-status')
  const input = document.getElementById('drop-files')
  const say = (text) => {
    const li = document.createElement('li')
    li.textContent = text
    status.append(li)
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const id = form.dataset.share
    for (const file of Array.from(input.files)) {
      try {
        const res = await fetch('/s/' + id + '/files/' + encodeURIComponent(file.name), {
          method: 'PUT',
          body: file,
          headers: { 'if-none-match': '*', 'x-requested-with': 'ftp-gateway' },
          credentials: 'same-origin',
        })
        if (res.ok) say(file.name + ': sent')
        else if (res.status === 409 || res.status === 412) say(file.name + ': a file of this name is already there')
        else say(file.name + ': not sent (HTTP ' + res.status + ')')
      } catch {
        say(file.name + ': not sent (connection failed)')
      }
    }
    form.reset()
  })
})
`

/** The stylesheet. */
export const SHARE_CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
main{max-width:48rem;margin:2rem auto;padding:0 1rem}
a{color:#0b57d0}
.button,button{display:inline-block;padding:.5rem 1rem;border:1px solid #0b57d0;border-radius:4px;background:#0b57d0;color:#fff;text-decoration:none;font:inherit;cursor:pointer}
label{display:block;font-weight:600;margin:.5rem 0}
input{font:inherit;margin-bottom:.75rem}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600}
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd}
.crumbs{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}
.crumbs li+li::before{content:"/";margin-right:.5rem;color:#555}
.note{color:#555;font-size:.9rem}
.error{color:#a50e0e}
@media (prefers-color-scheme:dark){body{background:#121212;color:#eee}a{color:#8ab4f8}.note{color:#bbb}.error{color:#f28b82}th,td{border-color:#444}.button,button{background:#1a73e8;border-color:#1a73e8}}
`
