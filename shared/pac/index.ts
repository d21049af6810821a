/**
 * Stamping providers (PACs) behind one contract (./provider). The embedded sandbox (./sandbox) is
 * here; pure TypeScript, no Worker bindings, so it runs in Node and workerd alike.
 */
export {
  type DocumentProvider,
  type DocumentStampRequest,
  isStampOutcomeUnknown,
  isStampRefusal,
  PAC_CODES,
  type PacCode,
  type SealedXmlProvider,
  type StampingProvider,
  type StampRequest,
  type StampResult,
  stampRefusal,
} from "./provider";
export {
  SANDBOX_CERTIFICATE_SERIAL,
  SANDBOX_PAC_RFC,
  SandboxPac,
  type SandboxPacOptions,
  STAMP_WINDOW_MS,
} from "./sandbox";
export { insertIntoComplemento, timbreXml } from "./tfd";
