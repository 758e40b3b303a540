/**
 * Month abbreviations seen in Unix LIST dates. Servers run `ls` (or mimic it) in their own
 * locale, so besides English we accept German, French, Spanish, Italian, Portuguese and Dutch
 * abbreviations. Each one names the same month in every language that uses it ("mar" is March
 * in English, Spanish, Italian and Portuguese), so the table has no ambiguous entries.
 * Lookups are case-insensitive and ignore a trailing dot (French `janv.`).
 */
const MONTHS: Readonly<Record<string, number>> = Object.freeze({
  // English
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  // German (Mär, Mrz, Mai, Okt, Dez)
  mär: 3,
  mrz: 3,
  mai: 5,
  okt: 10,
  dez: 12,
  // French (janv., févr., mars, avr., juin, juil., août, sept., déc.)
  janv: 1,
  févr: 2,
  fevr: 2,
  mars: 3,
  avr: 4,
  juin: 6,
  juil: 7,
  août: 8,
  aout: 8,
  sept: 9,
  déc: 12,
  // Spanish (ene, abr, ago, dic), Italian (gen, mag, giu, lug, set, ott), Portuguese (fev, out)
  ene: 1,
  abr: 4,
  ago: 8,
  dic: 12,
  gen: 1,
  mag: 5,
  giu: 6,
  lug: 7,
  set: 9,
  ott: 10,
  fev: 2,
  out: 10,
  // Dutch (mrt, mei)
  mrt: 3,
  mei: 5,
})

/**
 * A regex source matching exactly the accepted abbreviations (use with the `i` flag), longest
 * first so `janv` wins over `jan`. Building it from the table keeps a non-month word in the
 * owner or group column from being taken for the date.
 */
export const MONTH_PATTERN = `(?:${Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|')})\\.?`

/** Month number 1-12 for an abbreviation, or undefined. */
export function monthNumber(token: string): number | undefined {
  const key = token.toLowerCase().replace(/\.$/, '')
  return Object.hasOwn(MONTHS, key) ? MONTHS[key] : undefined
}
