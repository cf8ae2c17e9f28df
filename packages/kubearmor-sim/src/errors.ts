import { defineErrors } from '@fedlake/core'

export const SIM_ERRORS = defineErrors({
  SIM_INVALID_OPTION: { status: 400, edgelakeCode: 2, text: 'Invalid KubeArmor simulator option' },
  SIM_BIND_FAILED: { status: 500, edgelakeCode: 16, text: 'KubeArmor simulator could not listen' },
  SIM_NOT_RUNNING: { status: 503, edgelakeCode: 16, text: 'KubeArmor simulator is not running' }
})
