import { gql, type TypedDocumentNode } from "@urql/core";
import type * as T from "../../frontend-contract/generated/operations";
import boardCounters from "contract:BoardCounters";
import board from "contract:Board";
import catalogue from "contract:Catalogue";
import closeWorkOrder from "contract:CloseWorkOrder";
import customerLookup from "contract:CustomerLookup";
import escalateWorkOrder from "contract:EscalateWorkOrder";
import escalations from "contract:Escalations";
import gradeProposal from "contract:GradeProposal";
import logContactAttempt from "contract:LogContactAttempt";
import orderDetail from "contract:OrderDetail";
import orderEvents from "contract:OrderEvents";
import orgUnits from "contract:OrgUnits";
import possibleDuplicates from "contract:PossibleDuplicates";
import recordCustomerCall from "contract:RecordCustomerCall";
import registerComplaint from "contract:RegisterComplaint";
import transitionWorkOrder from "contract:TransitionWorkOrder";
import worklist from "contract:Worklist";

/** Every operation the portal sends: the contract's persisted operations (frontend-contract/),
 * sent by their sha256 id alone over HTTP (client.ts). */
export interface Persisted {
  id: string;
  name: string;
  type: string;
  body: string;
}

const byName = new Map<string, Persisted>();

function op<D, V>(persisted: Persisted): TypedDocumentNode<D, V> {
  byName.set(persisted.name, persisted);
  return gql(persisted.body) as TypedDocumentNode<D, V>;
}

export function persisted(name: string | null | undefined): Persisted {
  const found = name ? byName.get(name) : undefined;
  if (!found) throw new Error(`operation ${name} is not one of the portal's persisted operations`);
  return found;
}

export function nameOf(document: {
  readonly definitions: readonly {
    readonly kind: string;
    readonly name?: { readonly value: string };
  }[];
}): string | undefined {
  for (const definition of document.definitions) {
    if (definition.kind === "OperationDefinition" && definition.name) return definition.name.value;
  }
  return undefined;
}

type V<X> = X extends infer Y ? { -readonly [K in keyof Y]: Y[K] } : never;

export const Catalogue = op<T.CatalogueQuery, V<T.CatalogueQueryVariables>>(catalogue);
export const Worklist = op<T.WorklistQuery, V<T.WorklistQueryVariables>>(worklist);
export const OrderEvents = op<T.OrderEventsSubscription, V<T.OrderEventsSubscriptionVariables>>(
  orderEvents,
);
export const OrderDetail = op<T.OrderDetailQuery, V<T.OrderDetailQueryVariables>>(orderDetail);
export const TransitionWorkOrder = op<
  T.TransitionWorkOrderMutation,
  V<T.TransitionWorkOrderMutationVariables>
>(transitionWorkOrder);
export const CloseWorkOrder = op<T.CloseWorkOrderMutation, V<T.CloseWorkOrderMutationVariables>>(
  closeWorkOrder,
);
export const LogContactAttempt = op<
  T.LogContactAttemptMutation,
  V<T.LogContactAttemptMutationVariables>
>(logContactAttempt);
export const EscalateWorkOrder = op<
  T.EscalateWorkOrderMutation,
  V<T.EscalateWorkOrderMutationVariables>
>(escalateWorkOrder);
export const RecordCustomerCall = op<
  T.RecordCustomerCallMutation,
  V<T.RecordCustomerCallMutationVariables>
>(recordCustomerCall);
export const OrgUnits = op<T.OrgUnitsQuery, V<T.OrgUnitsQueryVariables>>(orgUnits);
export const CustomerLookup = op<T.CustomerLookupQuery, V<T.CustomerLookupQueryVariables>>(
  customerLookup,
);
export const PossibleDuplicates = op<
  T.PossibleDuplicatesQuery,
  V<T.PossibleDuplicatesQueryVariables>
>(possibleDuplicates);
export const GradeProposal = op<T.GradeProposalQuery, V<T.GradeProposalQueryVariables>>(
  gradeProposal,
);
export const RegisterComplaint = op<
  T.RegisterComplaintMutation,
  V<T.RegisterComplaintMutationVariables>
>(registerComplaint);
export const Board = op<T.BoardQuery, V<T.BoardQueryVariables>>(board);
export const BoardCounters = op<
  T.BoardCountersSubscription,
  V<T.BoardCountersSubscriptionVariables>
>(boardCounters);
export const Escalations = op<T.EscalationsQuery, V<T.EscalationsQueryVariables>>(escalations);
