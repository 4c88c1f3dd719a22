-------------------------------- MODULE Holds --------------------------------
(***************************************************************************)
(* Holds with expiry and waitlist offers (issue 19): webapp/booking/       *)
(* holds.py, service.book(hold=...) and waitlist.py.  spec/README.md       *)
(* ("Holds and waitlist offers") maps every action to the code.            *)
(*                                                                         *)
(* A hold is written like a booking -- the same claim BookingManager.tla   *)
(* checks: the advisory key of the (table, slot), the re-check under it,   *)
(* the write, COMMIT -- as a row (holder, table, slot) with an expiry.     *)
(* Here a stay is one slot of one table, so every claim takes ONE key:     *)
(* the key order, lock_timeout, crashes, combinations and the pace are     *)
(* BookingManager.tla's business and left out, and what is left is what    *)
(* holds add to it:                                                        *)
(*                                                                         *)
(*  * every read and re-check treats a LIVE hold of another holder like a  *)
(*    stay; a hold EXPIRES by time alone (Expire: any time), and an        *)
(*    expired hold blocks nobody, deleted or not;                          *)
(*  * placing a hold (holds.place) deletes, under the key, the holder's    *)
(*    earlier hold (one per holder) and the expired holds of the table,    *)
(*    then inserts; holds_no_overlap (no two hold rows of a table overlap, *)
(*    expired ones included) is the backstop;                              *)
(*  * a booking that names its hold (service.book(hold=...), "convert")    *)
(*    books the held (table, slot): its own holder's holds block nothing,  *)
(*    others' live holds and every stay do -- the re-check decides, also   *)
(*    for an expired hold; the hold is deleted in the booking's            *)
(*    transaction;                                                         *)
(*  * waitlist offers (waitlist.make_offers, several workers at once): per *)
(*    attempt a fresh holder <<worker, entry>>, a hold placed, then in a   *)
(*    second transaction the conditional UPDATE waiting -> offered that    *)
(*    queues the offer e-mail; the loser of two attempts releases its      *)
(*    hold.  An offer lives as long as its hold; an expired offer's entry  *)
(*    is "expired" and never offered again; the guest takes a live offer   *)
(*    by a booking with the offer's hold (take_offer: marked booked in the *)
(*    booking's transaction, only while still "offered").                  *)
(*                                                                         *)
(* Time is abstract: Expire may end any live hold at any moment.  The code *)
(* reads the clock once per request; see spec/README.md for why checking   *)
(* liveness at each step instead covers it.                               *)
(*                                                                         *)
(* The BOOLEAN constants switch safeguards off for the control models,     *)
(* which must FAIL (spec/check.py).                                        *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, TLC

CONSTANTS
    Guests,       \* guests (browser sessions): hold, book with or without their
                  \* hold, release it, cancel their booking; one reservation each
    Workers,      \* waitlist workers running make_offers at the same time
    Entries,      \* waitlist entries, each a waiting guest who may take its offer
    NoOne,        \* "nobody": a free key
    Tables,       \* table ids
    NSlots,       \* slots of the service; a stay or a hold takes one (table, slot)
    MaxRequests,  \* requests of each guest and each entry
    MaxOffers,    \* offer attempts of each worker
    ConvertSeesHolds,   \* a booking with a hold: its read and re-check see the
                        \* live holds of OTHER holders (else: no hold at all)
    PlaceSeesHolds,     \* placing a hold: its read and re-check see the live holds
                        \* of other holders
    ConditionalOffer,   \* UPDATE ... SET status='offered' WHERE status='waiting'
    DeleteExpired,      \* a new hold deletes the expired holds of its table first
    UseConstraints      \* reservations_no_overlap and holds_no_overlap

ASSUME /\ NoOne \notin Guests \cup Workers \cup Entries
       /\ Guests \cap (Workers \cup Entries) = {} /\ Workers \cap Entries = {}
       /\ Tables \subseteq Nat \ {0} /\ NSlots \in Nat \ {0}
       /\ MaxRequests \in Nat /\ MaxOffers \in Nat
       /\ \A b \in {ConvertSeesHolds, PlaceSeesHolds, ConditionalOffer, DeleteExpired,
                    UseConstraints} : b \in BOOLEAN

Slots   == 1..NSlots
\* A (table, slot): what a stay or a hold takes, and its advisory key
\* (locks.slot_lock_keys of a one-bucket stay).
Places  == Tables \X Slots
NoPlace == <<0, 0>>
Bookers == Guests \cup Entries          \* who may hold a reservation
Procs   == Guests \cup Workers \cup Entries
\* Holders, all tuples so that TLC compares them with each other: a guest's
\* session <<g>>; an offer attempt's fresh holder <<w, e>> (waitlist._try_offer:
\* "waitlist:<entry>:<random>").
GuestHolder(g) == <<g>>
Holders  == {GuestHolder(g) : g \in Guests} \cup (Workers \X Entries)
NoHolder == <<>>
Table(p) == p[1]

WaitStatus == {"waiting", "offered", "expired", "booked"}

-----------------------------------------------------------------------------
VARIABLES
    resv,     \* resv[b]: b's active reservation (a place), or NoPlace
    holds,    \* the hold rows: [h |-> holder, p |-> place, live |-> not yet expired]
    adv,      \* adv[p]: who holds the advisory key of place p, or NoOne
    tx,       \* tx[x]: x's transaction in progress (ph = "idle": none)
    left,     \* left[x]: requests / offer attempts x may still make
    wl,       \* wl[e]: the waitlist entry's status
    offer,    \* offer[e]: the holder whose hold is e's offer (offer_token_hash)
    sent,     \* ghost: sent[e], the holders whose offer e-mail e was sent
    fired     \* ghost: reservations_no_overlap or holds_no_overlap refused a write

vars == <<resv, holds, adv, tx, left, wl, offer, sent, fired>>

(* tx[x]:  ph     idle | lock (waits for / takes the key) | check | write |
                  record, release (a worker's offer after its hold)
           kind   hold (a guest places a hold) | offer (a worker's hold for an
                  entry) | book (a booking, no hold named) | convert (a guest's
                  booking with its hold) | take (an entry takes its offer)
           p      the place claimed
           holder hold / offer: the holder written; convert / take: the named
                  hold's holder (its holds block nothing, the booking deletes them)
           entry  offer: the waitlist entry offered *)
IdleTx == [ph |-> "idle", kind |-> "none", p |-> NoPlace, holder |-> NoHolder,
           entry |-> NoOne]

TypeOK ==
    /\ resv \in [Bookers -> Places \cup {NoPlace}]
    /\ holds \subseteq [h : Holders, p : Places, live : BOOLEAN]
    /\ adv \in [Places -> Procs \cup {NoOne}]
    /\ \A x \in Procs : tx[x].ph \in {"idle", "lock", "check", "write", "record", "release"}
    /\ left \in [Procs -> Nat]
    /\ wl \in [Entries -> WaitStatus]
    /\ offer \in [Entries -> Holders \cup {NoHolder}]
    /\ sent \in [Entries -> SUBSET Holders]
    /\ fired \in BOOLEAN

Init ==
    /\ resv  = [b \in Bookers |-> NoPlace]
    /\ holds = {}
    /\ adv   = [p \in Places |-> NoOne]
    /\ tx    = [x \in Procs |-> IdleTx]
    /\ left  = [x \in Procs |-> IF x \in Workers THEN MaxOffers ELSE MaxRequests]
    /\ wl    = [e \in Entries |-> "waiting"]
    /\ offer = [e \in Entries |-> NoHolder]
    /\ sent  = [e \in Entries |-> {}]
    /\ fired = FALSE

-----------------------------------------------------------------------------
(* What the reads and re-checks see (service._tables_are_free, _busy_tables with
   HoldsSeen(now, own_holder)). *)

StayAt(p) == \E b \in Bookers : resv[b] = p
\* A hold not yet expired on place p, of a holder other than `own`.
LiveHoldAt(p, own) == \E x \in holds : x.live /\ x.p = p /\ x.h /= own
HoldsOf(h) == {x \in holds : x.h = h}
HasLiveHold(h) == \E x \in HoldsOf(h) : x.live

\* Does the transaction of kind k see live holds at all?  (Controls: not.)
SeesHolds(k) == IF k \in {"convert", "take"} THEN ConvertSeesHolds
                ELSE IF k \in {"hold", "offer"} THEN PlaceSeesHolds
                ELSE TRUE
\* Whose holds it ignores: its own holder's (a booking without a hold: nobody's).
Own(T) == IF T.kind = "book" THEN NoHolder ELSE T.holder

\* Place p is taken for transaction T: an active stay (anybody's: holds.place and
\* book() ignore no reservation), or a live hold of another holder.
Taken(T, p) == StayAt(p) \/ (SeesHolds(T.kind) /\ LiveHoldAt(p, Own(T)))

\* The transaction x begins: an unlocked read (availability / the busy read)
\* already shows p free -- a request it shows taken is refused (SlotTaken) with
\* nothing changed, and is left out -- then it waits for p's key.
Begin(x, kind, p, holder, entry) ==
    LET T == [ph |-> "lock", kind |-> kind, p |-> p, holder |-> holder, entry |-> entry] IN
    /\ ~Taken(T, p)
    /\ tx' = [tx EXCEPT ![x] = T]
    /\ left' = [left EXCEPT ![x] = @ - 1]

\* COMMIT / ROLLBACK: the transaction-scoped key goes.
Unlock(x) == adv' = [p \in Places |-> IF adv[p] = x THEN NoOne ELSE adv[p]]
Done(x) == tx' = [tx EXCEPT ![x] = IdleTx]

-----------------------------------------------------------------------------
(* Guests (browser sessions), entries (waiting guests) and workers ask. *)

\* holds.place: hold place p (the guest picked a time); also while it holds
\* another place (that hold goes) or has a booking.
AskHold(g) ==
    /\ \E p \in Places : Begin(g, "hold", p, GuestHolder(g), NoOne)
    /\ UNCHANGED <<resv, holds, adv, wl, offer, sent, fired>>

\* service.book without a hold.
AskBook(g) ==
    /\ resv[g] = NoPlace
    /\ \E p \in Places : Begin(g, "book", p, NoHolder, NoOne)
    /\ UNCHANGED <<resv, holds, adv, wl, offer, sent, fired>>

\* service.book(hold=token): the hold the token names, expired or not (_named_hold),
\* read at the start; its place is tried (_held_first).
AskConvert(g) ==
    /\ resv[g] = NoPlace
    /\ \E x \in HoldsOf(GuestHolder(g)) : Begin(g, "convert", x.p, GuestHolder(g), NoOne)
    /\ UNCHANGED <<resv, holds, adv, wl, offer, sent, fired>>

\* holds.release: the guest lets its hold go (no key: deleting only frees).
ReleaseHold(g) ==
    /\ HoldsOf(GuestHolder(g)) /= {}
    /\ holds' = holds \ HoldsOf(GuestHolder(g))
    /\ left' = [left EXCEPT ![g] = @ - 1]
    /\ UNCHANGED <<resv, adv, tx, wl, offer, sent, fired>>

\* service.cancel, in one step (BookingManager.tla checks its row lock): the
\* table is freed, for a hold or an offer.
Cancel(b) ==
    /\ resv[b] /= NoPlace
    /\ resv' = [resv EXCEPT ![b] = NoPlace]
    /\ left' = [left EXCEPT ![b] = @ - 1]
    /\ UNCHANGED <<holds, adv, tx, wl, offer, sent, fired>>

\* waitlist.take_offer: OfferGone unless offered and not yet expired (read at the
\* start); then service.book(hold=the offer's token) on the offered place.
AskTake(e) ==
    /\ wl[e] = "offered" /\ resv[e] = NoPlace
    /\ \E x \in HoldsOf(offer[e]) : x.live /\ Begin(e, "take", x.p, offer[e], NoOne)
    /\ UNCHANGED <<resv, holds, adv, wl, offer, sent, fired>>

\* waitlist._try_offer: a worker takes a waiting entry (line order is not modelled:
\* any) and a start that availability shows free, and places a hold for it under
\* a fresh holder.
AskOffer(w) ==
    /\ \E e \in Entries, p \in Places :
          /\ wl[e] = "waiting"
          /\ Begin(w, "offer", p, <<w, e>>, e)
    /\ UNCHANGED <<resv, holds, adv, wl, offer, sent, fired>>

Ask(x) ==
    /\ tx[x].ph = "idle" /\ left[x] > 0
    /\ \/ x \in Guests /\ (AskHold(x) \/ AskBook(x) \/ AskConvert(x) \/ ReleaseHold(x)
                          \/ Cancel(x))
       \/ x \in Entries /\ (AskTake(x) \/ Cancel(x))
       \/ x \in Workers /\ AskOffer(x)

-----------------------------------------------------------------------------
(* The transaction's steps. *)

(* pg_advisory_xact_lock of the place's key: granted when free, else wait. *)
Acquire(x) ==
    /\ tx[x].ph = "lock"
    /\ adv[tx[x].p] = NoOne
    /\ adv' = [adv EXCEPT ![tx[x].p] = x]
    /\ tx' = [tx EXCEPT ![x].ph = "check"]
    /\ UNCHANGED <<resv, holds, left, wl, offer, sent, fired>>

(* The re-check under the key: taken -> ROLLBACK, SlotTaken (an offer attempt:
   the next start, i.e. this attempt ends). *)
Check(x) ==
    /\ tx[x].ph = "check"
    /\ IF Taken(tx[x], tx[x].p)
       THEN Unlock(x) /\ Done(x)
       ELSE adv' = adv /\ tx' = [tx EXCEPT ![x].ph = "write"]
    /\ UNCHANGED <<resv, holds, left, wl, offer, sent, fired>>

(* holds.place's write: delete the holder's earlier hold and the expired holds
   of the table, insert the hold; holds_no_overlap refuses a row overlapping any
   hold row left on its table (expired ones included).  COMMIT.  An offer goes
   on to its second transaction (record). *)
WriteHold(x) ==
    LET T == tx[x]
        gone == {y \in holds : y.h = T.holder
                               \/ (DeleteExpired /\ Table(y.p) = Table(T.p) /\ ~y.live)}
        kept == holds \ gone IN
    IF UseConstraints /\ \E y \in kept : y.p = T.p
    THEN /\ fired' = TRUE                       \* ROLLBACK (SlotTaken, by_constraint)
         /\ Done(x)
         /\ UNCHANGED <<resv, holds, wl>>
    ELSE /\ holds' = kept \cup {[h |-> T.holder, p |-> T.p, live |-> TRUE]}
         /\ tx' = [tx EXCEPT ![x].ph = IF T.kind = "offer" THEN "record" ELSE "idle"]
         /\ UNCHANGED <<resv, wl, fired>>

(* The booking's write: INSERT the reservation (reservations_no_overlap
   refuses it on a place with an active stay); with a named hold, DELETE that
   hold; take_offer marks the entry booked only while it is still "offered"
   (else OfferGone: ROLLBACK).  COMMIT. *)
WriteBooking(x) ==
    LET T == tx[x] IN
    IF UseConstraints /\ StayAt(T.p)
    THEN /\ fired' = TRUE
         /\ Done(x)
         /\ UNCHANGED <<resv, holds, wl>>
    ELSE IF T.kind = "take" /\ wl[x] /= "offered"
    THEN /\ Done(x)                              \* OfferGone: rolled back
         /\ UNCHANGED <<resv, holds, wl, fired>>
    ELSE /\ resv' = [resv EXCEPT ![x] = T.p]
         /\ holds' = IF T.kind = "book" THEN holds ELSE holds \ HoldsOf(T.holder)
         /\ wl' = IF T.kind = "take" THEN [wl EXCEPT ![x] = "booked"] ELSE wl
         /\ Done(x)
         /\ UNCHANGED fired

Write(x) ==
    /\ tx[x].ph = "write"
    /\ Unlock(x)
    /\ IF tx[x].kind \in {"hold", "offer"} THEN WriteHold(x) ELSE WriteBooking(x)
    /\ UNCHANGED <<left, offer, sent>>

(* waitlist._record_offer, a transaction of its own: UPDATE the entry waiting ->
   offered (the hold's token as the offer's), queue the e-mail, COMMIT -- or, when
   no row was updated (another attempt won, the guest left), the loser releases
   its hold (holds.release, another transaction).  (Control: the UPDATE without
   WHERE status = 'waiting'.) *)
Record(w) ==
    /\ tx[w].ph = "record"
    /\ LET T == tx[w] IN
       IF ~ConditionalOffer \/ wl[T.entry] = "waiting"
       THEN /\ wl' = [wl EXCEPT ![T.entry] = "offered"]
            /\ offer' = [offer EXCEPT ![T.entry] = T.holder]
            /\ sent' = [sent EXCEPT ![T.entry] = @ \cup {T.holder}]
            /\ Done(w)
       ELSE /\ tx' = [tx EXCEPT ![w].ph = "release"]
            /\ UNCHANGED <<wl, offer, sent>>
    /\ UNCHANGED <<resv, holds, adv, left, fired>>

ReleaseLoser(w) ==
    /\ tx[w].ph = "release"
    /\ holds' = holds \ HoldsOf(tx[w].holder)
    /\ Done(w)
    /\ UNCHANGED <<resv, adv, left, wl, offer, sent, fired>>

-----------------------------------------------------------------------------
(* Time. *)

\* A hold's expires_at passes: from now on it blocks nobody (its row stays until
\* a new hold of its table, its holder or the purge deletes it).
Expire ==
    /\ \E y \in holds :
          /\ y.live
          /\ holds' = (holds \ {y}) \cup {[y EXCEPT !.live = FALSE]}
    /\ UNCHANGED <<resv, adv, tx, left, wl, offer, sent, fired>>

\* waitlist._expire (any worker's pass): an offer whose hold ran out is expired,
\* conditionally (an offer taken meanwhile stays booked).
ExpireOffer ==
    /\ \E e \in Entries :
          /\ wl[e] = "offered" /\ ~HasLiveHold(offer[e])
          /\ wl' = [wl EXCEPT ![e] = "expired"]
    /\ UNCHANGED <<resv, holds, adv, tx, left, offer, sent, fired>>

\* Nobody is inside a transaction: the system may idle (not a deadlock).
Quiet == /\ \A x \in Procs : tx[x].ph = "idle"
         /\ UNCHANGED vars

Step(x) == Acquire(x) \/ Check(x) \/ Write(x) \/ Record(x) \/ ReleaseLoser(x)

Next == \/ \E x \in Procs : Ask(x) \/ Step(x)
        \/ Expire \/ ExpireOffer \/ Quiet

Spec == Init /\ [][Next]_vars

\* Weak fairness on the protocol steps only: nobody is forced to ask, and time
\* need not pass.
FairSpec == Spec /\ \A x \in Procs : WF_vars(Step(x))

-----------------------------------------------------------------------------
(* SAFETY *)

\* No place is allocated twice: at most one active stay or live hold on it --
\* stays and live holds of different holders never overlap, and no holder has a
\* live hold where a stay is (its own booking deletes its hold).
NoDoubleAllocation ==
    \A p \in Places :
        Cardinality({b \in Bookers : resv[b] = p})
          + Cardinality({y \in holds : y.live /\ y.p = p}) <= 1

\* Entry e's live offers: offers it was sent whose hold has not expired.
LiveOffers(e) == {h \in sent[e] : HasLiveHold(h)}

\* One freed table is offered to at most one waiting guest at a time.
OneOfferPerTable ==
    \A p \in Places :
        Cardinality({e \in Entries :
                        \E h \in LiveOffers(e) : \E y \in HoldsOf(h) : y.live /\ y.p = p}) <= 1

\* A waiting guest never holds two live offers.
OneLiveOfferPerGuest == \A e \in Entries : Cardinality(LiveOffers(e)) <= 1

\* An offered entry's offer is one it was sent (the e-mail went with the UPDATE).
OfferSent == \A e \in Entries : wl[e] = "offered" => offer[e] \in sent[e]

\* A key is held only by a transaction in progress on its place.
LocksOnlyInTx ==
    \A p \in Places :
        adv[p] /= NoOne => tx[adv[p]].ph \in {"check", "write"} /\ tx[adv[p]].p = p

\* With the keys and re-checks on, neither exclusion constraint ever fires.
BackstopNeverFires == ~fired

-----------------------------------------------------------------------------
(* LIVENESS (under FairSpec) *)

\* Every transaction (and an offer's second one) ends.
EveryRequestAnswered == \A x \in Procs : tx[x].ph /= "idle" ~> tx[x].ph = "idle"

-----------------------------------------------------------------------------
Sym == Permutations(Guests) \cup Permutations(Entries) \cup Permutations(Workers)
=============================================================================
