/**
 * Quotes one word for a POSIX shell (bash, zsh, sh) so that a printed command works when pasted.
 * Readable first: bare when nothing needs quoting, single quotes when the text has none, double quotes
 * (escaping `\ " $ \``) when it has single quotes but no `!` (history expansion in interactive shells),
 * else single quotes with `'\''` for each single quote.
 */
export function shellQuote (word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word
  if (!word.includes('\'')) return `'${word}'`
  if (!word.includes('!')) return `"${word.replace(/[\\"$`]/g, c => `\\${c}`)}"`
  return `'${word.replace(/'/g, '\'\\\'\'')}'`
}

/** A command line of shell-quoted words. */
export function shellCommand (words: readonly string[]): string {
  return words.map(shellQuote).join(' ')
}
