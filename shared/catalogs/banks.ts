/**
 * Banks operating in Mexico with the three-digit institution code that starts their CLABEs (the
 * seed's bank code, e.g. "012"). Not a CFDI 4.0 SAT catalog: the SAT's c_Banco belonged to the
 * payroll complement 1.1 and was dropped in 1.2, and the fixtures carry no bank list. The codes are
 * Banxico's institution keys for SPEI participants that are banks (plus STP, Nu and Mercado Pago,
 * common CLABE issuers); refresh against Banxico's list of SPEI participants when banks open or merge.
 */
export interface Bank {
  /** Institution code: the first three digits of the bank's CLABEs. */
  code: string;
  name: string;
}

export const BANKS: readonly Bank[] = [
  { code: "002", name: "Banamex" },
  { code: "006", name: "Bancomext" },
  { code: "009", name: "Banobras" },
  { code: "012", name: "BBVA México" },
  { code: "014", name: "Santander" },
  { code: "019", name: "Banjército" },
  { code: "021", name: "HSBC" },
  { code: "030", name: "Banco del Bajío" },
  { code: "036", name: "Inbursa" },
  { code: "042", name: "Mifel" },
  { code: "044", name: "Scotiabank" },
  { code: "058", name: "Banregio" },
  { code: "059", name: "Invex" },
  { code: "060", name: "Bansi" },
  { code: "062", name: "Afirme" },
  { code: "072", name: "Banorte" },
  { code: "106", name: "Bank of America" },
  { code: "108", name: "MUFG Bank" },
  { code: "110", name: "JP Morgan" },
  { code: "112", name: "Banco Monex" },
  { code: "113", name: "Ve por Más" },
  { code: "127", name: "Banco Azteca" },
  { code: "128", name: "Autofin" },
  { code: "129", name: "Barclays" },
  { code: "130", name: "Compartamos" },
  { code: "132", name: "Multiva" },
  { code: "133", name: "Actinver" },
  { code: "135", name: "Nacional Financiera" },
  { code: "136", name: "Intercam Banco" },
  { code: "137", name: "BanCoppel" },
  { code: "138", name: "ABC Capital" },
  { code: "140", name: "Consubanco" },
  { code: "141", name: "Volkswagen Bank" },
  { code: "143", name: "CIBanco" },
  { code: "145", name: "Banco Base" },
  { code: "147", name: "Bankaool" },
  { code: "148", name: "PagaTodo" },
  { code: "150", name: "Banco Inmobiliario Mexicano" },
  { code: "151", name: "Donde" },
  { code: "152", name: "Bancrea" },
  { code: "154", name: "Banco Covalto" },
  { code: "155", name: "ICBC" },
  { code: "156", name: "Sabadell" },
  { code: "157", name: "Shinhan" },
  { code: "158", name: "Mizuho Bank" },
  { code: "159", name: "Bank of China" },
  { code: "160", name: "Banco S3" },
  { code: "166", name: "Banco del Bienestar" },
  { code: "168", name: "Hipotecaria Federal" },
  { code: "638", name: "Nu México" },
  { code: "646", name: "STP" },
  { code: "722", name: "Mercado Pago" },
];
