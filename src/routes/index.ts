import * as createDrop from "./drops/create";
import * as getDrop from "./drops/get";
import * as listDrops from "./drops/list";
import * as dropStock from "./drops/stock";
import * as updateDrop from "./drops/update";
import * as createHold from "./holds/create";
import * as releaseHold from "./holds/delete";
import * as getHold from "./holds/get";
import * as getMember from "./members/get";
import * as listMembers from "./members/list";
import * as createOffer from "./offers/create";
import * as getOffer from "./offers/get";
import * as listOffers from "./offers/list";
import * as updateOffer from "./offers/update";

/** Every API route, in the order the reference lists them. */
export const routes = [
  listOffers,
  createOffer,
  getOffer,
  updateOffer,
  listDrops,
  createDrop,
  getDrop,
  updateDrop,
  dropStock,
  createHold,
  getHold,
  releaseHold,
  listMembers,
  getMember,
];
