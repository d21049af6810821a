/**
 * The seed's industries and job titles: plain strings a person picks when setting up an organization
 * (`organization.industry`, `contactJobTitle`). Not SAT catalogs (the SAT has none for either, and the
 * fixtures carry none): Timbre's own lists. The seed shows one value of each ("Manufactura y Maquila",
 * "Dueño del negocio"), kept verbatim; the industries otherwise follow the sectors of INEGI's SCIAN
 * 2023 in shorter words, the job titles the people who usually run invoicing in a Mexican company.
 */

export const INDUSTRIES: readonly string[] = [
  "Agricultura, ganadería y pesca",
  "Minería",
  "Energía, agua y gas",
  "Construcción",
  "Manufactura y Maquila",
  "Comercio al por mayor",
  "Comercio al por menor",
  "Transporte, logística y almacenamiento",
  "Medios, telecomunicaciones y tecnología",
  "Servicios financieros y seguros",
  "Servicios inmobiliarios y de alquiler",
  "Servicios profesionales, científicos y técnicos",
  "Corporativos",
  "Servicios de apoyo a los negocios",
  "Educación",
  "Salud y asistencia social",
  "Cultura, deporte y esparcimiento",
  "Hoteles y restaurantes",
  "Otros servicios",
  "Gobierno y organismos internacionales",
];

export const JOB_TITLES: readonly string[] = [
  "Dueño del negocio",
  "Director general",
  "Director de finanzas",
  "Gerente de administración",
  "Contador",
  "Auxiliar contable",
  "Cuentas por pagar",
  "Cuentas por cobrar",
  "Tesorería",
  "Compras",
  "Asistente administrativo",
  "Otro",
];
