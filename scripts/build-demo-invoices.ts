/**
 * Builds the demo invoices that `npm start` uploads into the demo organization: CFDI 4.0 issued by the
 * demo provider (BERENICE XIMO QUEZADA, XIQB891116QE4) to the demo organization (ESCUELA KEMPER URGATE,
 * EKU9003173C9), sealed with SAT's public test CSD of that RFC by the engine itself. They are sealed,
 * not stamped (no PAC certified them), so the inbox accepts them with the warning `cfdi_not_stamped`.
 *
 *   npx tsx scripts/build-demo-invoices.ts [../shared/fixtures/csd/XIQB891116QE4]
 *
 * The output is committed in scripts/demo/invoices/ so that a fresh clone needs no fixtures.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCfdi } from "../shared/cfdi/build";
import { loadCsd } from "../shared/cfdi/csd";

const root = join(import.meta.dirname, "..");
const csdDir = process.argv[2] ?? join(root, "..", "shared", "fixtures", "csd", "XIQB891116QE4");
const csd = await loadCsd(
  {
    cer: readFileSync(join(csdDir, "XIQB891116QE4.cer")),
    key: readFileSync(join(csdDir, "XIQB891116QE4.key")),
    password: readFileSync(join(csdDir, "password.txt"), "utf8").trim(),
  },
  // That test CSD expired in May 2023: the demo invoices are dated inside its validity.
  { now: new Date("2023-05-01T12:00:00Z") },
);

const issuer = { rfc: "XIQB891116QE4", name: "BERENICE XIMO QUEZADA", taxRegime: "612" };
const receptor = {
  rfc: "EKU9003173C9",
  name: "ESCUELA KEMPER URGATE",
  taxRegime: "601",
  postalCode: "42501",
  cfdiUse: "G03",
};

const IVA_16 = [{ tax: "IVA", factor: "Tasa", rate: "0.16" }];

const invoices = [
  {
    folio: "101",
    date: "2023-01-05T10:15:00",
    paymentMethod: "PPD",
    paymentForm: "99",
    items: [
      {
        productKey: "80111600",
        quantity: "40",
        unitKey: "HUR",
        unit: "Hora",
        description: "Asesoría contable",
        unitPrice: "850.00",
        taxes: IVA_16,
      },
    ],
  },
  {
    folio: "102",
    date: "2023-02-02T09:00:00",
    paymentMethod: "PUE",
    paymentForm: "03",
    items: [
      {
        productKey: "43211503",
        quantity: "2",
        unitKey: "H87",
        unit: "Pieza",
        description: "Computadora portátil",
        unitPrice: "18999.00",
        discount: "1000.00",
        taxes: IVA_16,
      },
      {
        productKey: "43211708",
        quantity: "2",
        unitKey: "H87",
        unit: "Pieza",
        description: "Mouse inalámbrico",
        unitPrice: "349.90",
        taxes: IVA_16,
      },
    ],
  },
  {
    folio: "103",
    date: "2023-02-28T16:40:00",
    paymentMethod: "PPD",
    paymentForm: "99",
    items: [
      {
        productKey: "81112100",
        quantity: "1",
        unitKey: "E48",
        unit: "Servicio",
        description: "Hospedaje de sitio web, marzo",
        unitPrice: "1250.00",
        taxes: IVA_16,
      },
      {
        productKey: "81112501",
        quantity: "3",
        unitKey: "E48",
        unit: "Servicio",
        description: "Licencias de software",
        unitPrice: "433.333333",
        taxes: IVA_16,
      },
    ],
  },
  {
    folio: "104",
    date: "2023-03-14T12:00:00",
    paymentMethod: "PPD",
    paymentForm: "99",
    items: [
      {
        productKey: "86121600",
        quantity: "1",
        unitKey: "E48",
        unit: "Servicio",
        description: "Taller de capacitación docente",
        unitPrice: "12500.00",
        taxes: [{ tax: "IVA", factor: "Exento" }],
      },
    ],
  },
  {
    folio: "105",
    date: "2023-04-03T08:30:00",
    paymentMethod: "PUE",
    paymentForm: "04",
    items: [
      {
        productKey: "44121600",
        quantity: "25",
        unitKey: "H87",
        unit: "Pieza",
        description: "Paquete de papelería escolar",
        unitPrice: "89.50",
        taxes: IVA_16,
      },
    ],
  },
];

for (const invoice of invoices) {
  const sealed = await buildCfdi(
    { type: "I", series: "BXQ", issuer, receptor, expeditionPostalCode: "06300", ...invoice },
    { csd },
  );
  const file = join(root, "scripts", "demo", "invoices", `BXQ-${invoice.folio}.xml`);
  writeFileSync(file, sealed.xml);
  console.log(`${file}: total ${sealed.cfdi.Total}`);
}
