/** A `Set-Cookie` value: `name=value` and its attributes (`true` for a bare flag such as `Secure`). */
export function serializeCookie(
  name: string,
  value: string,
  attributes: Readonly<Record<string, string | true>>,
): string {
  return [
    `${name}=${value}`,
    ...Object.entries(attributes).map(([key, attr]) => (attr === true ? key : `${key}=${attr}`)),
  ].join('; ');
}
