/** Swagger UI at `/docs`: placeholder, filled in below. */
export function registerDocsPage(): Record<string, unknown> {
  return { staticCSP: true }
}
