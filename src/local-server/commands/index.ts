import { basicCommands } from './basic.js'
import { dataSetupCommands } from './data-setup.js'
import { fileCommands } from './files.js'
import { listingCommands } from './listing.js'
import { navigationCommands } from './navigation.js'
import type { CommandTable } from './spec.js'
import { transferCommands } from './transfer.js'

export type { CommandSpec, CommandTable } from './spec.js'

/** Every built-in command, by upper-case verb. */
export const COMMANDS: Readonly<CommandTable> = Object.freeze({
  ...basicCommands,
  ...navigationCommands,
  ...dataSetupCommands,
  ...transferCommands,
  ...listingCommands,
  ...fileCommands,
})
