--------------------------- MODULE BookingManager ---------------------------
(***************************************************************************)
(* The write protocol of Booking Manager (webapp/booking/).                *)
(*                                                                         *)
(* Every write -- book, change, cancel, set_status -- is ONE PostgreSQL    *)
(* transaction:                                                            *)
(*                                                                         *)
(*   BEGIN; SET LOCAL lock_timeout = '3s';                                 *)
(*   pg_advisory_xact_lock(table_id, bucket)   -- each 15-min bucket the   *)
(*                                             -- (new) stay covers, keys  *)
(*                                             -- SORTED                   *)
(*   SELECT ... FOR UPDATE                     -- the reservation row, when *)
(*                                             -- an existing one changes  *)
(*   re-check: no other active reservation of the table overlaps           *)
(*   INSERT / UPDATE;  COMMIT                                              *)
(*                                                                         *)
(* Transaction-scoped locks go at COMMIT or ABORT (also when the client    *)
(* crashes).  A lock wait longer than lock_timeout aborts the transaction  *)
(* ("try again").  Underneath, the exclusion constraint                    *)
(* reservations_no_overlap rejects an active row that overlaps another     *)
(* active row of the same table (SlotTaken).                               *)
(*                                                                         *)
(* Actors: guests (Clients) who book (auto-assigned over a candidate list  *)
(* of tables, best fit first, each candidate in its own transaction),      *)
(* change (move to another table/time) and cancel; and the restaurant      *)
(* (Owner) who moves statuses: booked->seated->completed, booked->no_show, *)
(* booked|seated->cancelled.                                               *)
(*                                                                         *)
(* Switches (constants) turn parts of the protocol off for the control     *)
(* models that must FAIL; see spec/README.md.                              *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets, TLC

CONSTANTS
    Clients,        \* guests; each id stands for ONE reservation row (a guest who
                    \* books again is another client of the model)
    Owner,          \* the restaurant's staff (owner dashboard): status moves
    NoOne,          \* "nobody": free lock, no row yet
    Tables,         \* table ids (numbers); lock keys are ordered by (table, bucket)
    NBuckets,       \* 15-minute grid buckets in the modelled service window
    MaxStay,        \* longest stay, in buckets (>= 2: overlapping-but-different stays)
    CandidateLists, \* candidate table lists a booking request may carry (best fit first)
    MaxRequests,    \* requests (book / change / cancel) each guest makes
    MaxOwnerMoves,  \* status moves the owner attempts (valid or not)
    MaxCrashes,     \* transactions that die mid-way (client crash / dropped connection)
    UseLocks,       \* advisory locks on every (table, bucket) of the stay
    SortedLocks,    \* ... taken in sorted key order (else in any order)
    UseRowLock,     \* SELECT ... FOR UPDATE of the reservation row
    UseConstraint,  \* exclusion constraint reservations_no_overlap
    LockTimeouts,   \* lock_timeout may abort a transaction that waits for a lock
    RecheckExcludesSelf, \* change(): the re-check ignores the reservation being moved
    XactLocks,      \* advisory locks are transaction-scoped (pg_advisory_xact_lock);
                    \* FALSE: session-scoped, unlocked only on the success path
    Pool            \* holder of session locks leaked into a pooled connection

ASSUME /\ Owner \notin Clients /\ NoOne \notin Clients \cup {Owner}
       /\ Pool \notin Clients \cup {Owner, NoOne}
       /\ Tables \subseteq Nat /\ NBuckets \in Nat \ {0} /\ MaxStay \in Nat \ {0}
       /\ \A cl \in CandidateLists : Len(cl) > 0 /\ \A i \in 1..Len(cl) : cl[i] \in Tables
       /\ MaxRequests \in Nat /\ MaxOwnerMoves \in Nat /\ MaxCrashes \in Nat
       /\ \A b \in {UseLocks, SortedLocks, UseRowLock, UseConstraint, LockTimeouts,
                    RecheckExcludesSelf, XactLocks} : b \in BOOLEAN

Actors == Clients \cup {Owner}

Range(f) == {f[i] : i \in DOMAIN f}

-----------------------------------------------------------------------------
(* Time: a stay is the half-open bucket interval [s, e). *)
Buckets == 1..NBuckets
Stays   == {x \in [s : Buckets, e : 2..NBuckets + 1] : x.s < x.e /\ x.e - x.s <= MaxStay}
Overlap(x, y) == x.s < y.e /\ y.s < x.e

(* Lock keys: pg_advisory_xact_lock(table_id, bucket). *)
Keys == Tables \X Buckets
\* slot_lock_keys(table_id, starts_at, ends_at): the keys of a stay, sorted.
SortedKeys(t, x) == [i \in 1..(x.e - x.s) |-> <<t, x.s + i - 1>>]
\* The orders in which a transaction may take those keys.
LockOrders(t, x) ==
    IF ~UseLocks THEN {<<>>}
    ELSE IF SortedLocks THEN {SortedKeys(t, x)}
    ELSE {p \in [1..(x.e - x.s) -> Range(SortedKeys(t, x))] :
              Range(p) = Range(SortedKeys(t, x))}

(* Reservation statuses; "none" = the row does not exist yet. *)
Status   == {"none", "booked", "seated", "completed", "cancelled", "no_show"}
Active   == {"booked", "seated"}
Moves    == {<<"booked", "seated">>, <<"seated", "completed">>, <<"booked", "no_show">>,
             <<"booked", "cancelled">>, <<"seated", "cancelled">>}
Targets  == {"seated", "completed", "no_show", "cancelled"}

NoRow     == [t |-> 0, s |-> 0, e |-> 0, st |-> "none"]
NoPromise == [t |-> 0, s |-> 0, e |-> 0]
Row(t, x, st) == [t |-> t, s |-> x.s, e |-> x.e, st |-> st]

-----------------------------------------------------------------------------
VARIABLES
    rows,     \* rows[c]: guest c's reservation row (committed state of the DB)
    adv,      \* adv[k]: the transaction (actor) holding advisory lock k, or NoOne
    rowLock,  \* rowLock[c]: who holds FOR UPDATE on row c, or NoOne
    tx,       \* tx[a]: a's transaction in progress (ph = "idle": none)
    goal,     \* goal[a]: a's current request; kept open across "try again" retries
    left,     \* left[a]: requests a may still start
    crashes,  \* crashed transactions so far
    promise,  \* ghost: what guest c was last told it holds (table, stay) or NoPromise
    fired     \* ghost: the exclusion constraint has rejected a write

vars == <<rows, adv, rowLock, tx, goal, left, crashes, promise, fired>>

(* tx[a] fields: ph     idle | lock | check | write
                 kind   book | change | status
                 res    the reservation row the transaction writes
                 t, s, e  table and stay written (book/change) or locked (status)
                 keys   the lock keys in the order taken;  i: next one to take
                 snap   the row as this transaction read it
                 target new status (status moves) *)
IdleTx == [ph |-> "idle", kind |-> "none", res |-> NoOne, t |-> 0, s |-> 0, e |-> 0,
           keys |-> <<>>, i |-> 1, snap |-> NoRow, target |-> "none"]
(* goal[a] fields: open (waiting for an answer), kind, res, cands (candidate tables),
   rem (candidates this attempt still has to try; head = current), s, e, target *)
NoGoal == [open |-> FALSE, kind |-> "none", res |-> NoOne, cands |-> <<>>, rem |-> <<>>,
           s |-> 0, e |-> 0, target |-> "none"]

TypeOK ==
    /\ rows \in [Clients -> [t : Tables \cup {0}, s : 0..NBuckets, e : 0..NBuckets + 1,
                             st : Status]]
    /\ adv \in [Keys -> Actors \cup {NoOne, Pool}]
    /\ rowLock \in [Clients -> Actors \cup {NoOne}]
    /\ \A a \in Actors : tx[a].ph \in {"idle", "lock", "check", "write"}
    /\ left \in [Actors -> Nat]
    /\ crashes \in 0..MaxCrashes
    /\ fired \in BOOLEAN

Init ==
    /\ rows    = [c \in Clients |-> NoRow]
    /\ adv     = [k \in Keys |-> NoOne]
    /\ rowLock = [c \in Clients |-> NoOne]
    /\ tx      = [a \in Actors |-> IdleTx]
    /\ goal    = [a \in Actors |-> NoGoal]
    /\ left    = [a \in Actors |-> IF a = Owner THEN MaxOwnerMoves ELSE MaxRequests]
    /\ crashes = 0
    /\ promise = [c \in Clients |-> NoPromise]
    /\ fired   = FALSE

-----------------------------------------------------------------------------
(* Helpers *)

\* Another active reservation of table t overlaps stay x (ignoring row `self`).
Taken(t, x, self) ==
    \E o \in Clients \ {self} : rows[o].st \in Active /\ rows[o].t = t /\ Overlap(rows[o], x)

\* COMMIT or ABORT: every transaction-scoped lock of a goes.  (Control models with
\* session-scoped advisory locks leak them on an abort: the code unlocks on the
\* success path only, and the connection goes back to the pool still holding them.
\* A dropped connection ends the session, so a crash frees them either way.)
Release(a, freed) ==
    /\ adv' = [k \in Keys |-> IF adv[k] /= a THEN adv[k]
                              ELSE IF XactLocks \/ freed THEN NoOne ELSE Pool]
    /\ rowLock' = [r \in Clients |-> IF rowLock[r] = a THEN NoOne ELSE rowLock[r]]
Commit(a) == Release(a, TRUE)
Abort(a)  == Release(a, FALSE)

\* A fresh transaction that writes stay x on table t, taking `order` keys first.
NewTx(kind, res, t, x, order, snap, target) ==
    [ph |-> IF Len(order) > 0 THEN "lock" ELSE "check",
     kind |-> kind, res |-> res, t |-> t, s |-> x.s, e |-> x.e,
     keys |-> order, i |-> 1, snap |-> snap, target |-> target]

StayOf(r) == [s |-> r.s, e |-> r.e]
GoalStay(g) == [s |-> g.s, e |-> g.e]

\* The row as an unlocked read at BEGIN sees it; only kept where the transaction
\* will use it (no FOR UPDATE), so that a dead copy does not split states.
Unlocked(r) == IF UseRowLock THEN NoRow ELSE r

\* BEGIN: the service opens the transaction for request g and computes its lock
\* keys (locks.slot_lock_keys): the NEW stay for book/change; for cancel and
\* set_status the stay of the row as read (unlocked) at the start.  Without
\* FOR UPDATE the ORM works on the row as read here (`snap`).
StartTx(a, g) ==
    CASE g.kind = "book" ->
           \E order \in LockOrders(g.cands[1], GoalStay(g)) :
              tx' = [tx EXCEPT ![a] = NewTx("book", a, g.cands[1], GoalStay(g), order,
                                            NoRow, "booked")]
      [] g.kind = "change" ->
           \E order \in LockOrders(g.cands[1], GoalStay(g)) :
              tx' = [tx EXCEPT ![a] = NewTx("change", a, g.cands[1], GoalStay(g), order,
                                            Unlocked(rows[a]), "none")]
      [] g.kind = "status" ->
           LET r == rows[g.res] IN
           \E order \in LockOrders(r.t, StayOf(r)) :
              tx' = [tx EXCEPT ![a] = NewTx("status", g.res, r.t, StayOf(r), order,
                                            Unlocked(r), g.target)]

\* The transaction ended with a definitive answer (booked / refused / invalid).
Answered(a) ==
    /\ tx' = [tx EXCEPT ![a] = IdleTx]
    /\ goal' = [goal EXCEPT ![a] = NoGoal]

-----------------------------------------------------------------------------
(* A request arrives and its transaction begins.  A guest without a row books
   (service.book); a guest holding a booking moves it (service.change) or
   cancels it (service.cancel); the owner attempts any status move on any row
   (service.set_status) -- the protocol must refuse the invalid ones. *)
NewGoal(a, g) ==
    /\ goal' = [goal EXCEPT ![a] = g]
    /\ StartTx(a, g)

Ask(a) ==
    /\ tx[a].ph = "idle" /\ ~goal[a].open /\ left[a] > 0
    /\ \/ /\ a \in Clients /\ rows[a].st = "none"
          /\ \E x \in Stays, cl \in CandidateLists :
                NewGoal(a, [open |-> TRUE, kind |-> "book", res |-> a, cands |-> cl,
                            rem |-> cl, s |-> x.s, e |-> x.e, target |-> "booked"])
       \/ /\ a \in Clients /\ promise[a] /= NoPromise
          /\ \E t \in Tables, x \in Stays :
                /\ <<t, x.s, x.e>> /= <<promise[a].t, promise[a].s, promise[a].e>>
                /\ NewGoal(a, [open |-> TRUE, kind |-> "change", res |-> a, cands |-> <<t>>,
                               rem |-> <<t>>, s |-> x.s, e |-> x.e, target |-> "none"])
       \/ /\ a \in Clients /\ promise[a] /= NoPromise
          /\ NewGoal(a, [NoGoal EXCEPT !.open = TRUE, !.kind = "status", !.res = a,
                                       !.target = "cancelled"])
       \/ /\ a = Owner
          /\ \E r \in Clients, st \in Targets :
                /\ rows[r].st /= "none"
                /\ NewGoal(a, [NoGoal EXCEPT !.open = TRUE, !.kind = "status", !.res = r,
                                             !.target = st])
    /\ left' = [left EXCEPT ![a] = @ - 1]
    /\ UNCHANGED <<rows, adv, rowLock, crashes, promise, fired>>

(* The guest tries the same request again after "try again" (lock_timeout) or a
   dropped connection. *)
Retry(a) ==
    /\ tx[a].ph = "idle" /\ goal[a].open
    /\ StartTx(a, goal[a])
    /\ goal' = [goal EXCEPT ![a].rem = goal[a].cands]
    /\ UNCHANGED <<rows, adv, rowLock, left, crashes, promise, fired>>

(* pg_advisory_xact_lock(key), keys in the transaction's order: granted when
   nobody holds the key; otherwise the transaction waits (this action is disabled)
   until the holder commits or aborts. *)
Acquire(a) ==
    /\ tx[a].ph = "lock"
    /\ LET k == tx[a].keys[tx[a].i] IN
       /\ adv[k] = NoOne
       /\ adv' = [adv EXCEPT ![k] = a]
       /\ tx' = [tx EXCEPT ![a].i = @ + 1,
                           ![a].ph = IF tx[a].i = Len(tx[a].keys) THEN "check" ELSE "lock"]
    /\ UNCHANGED <<rows, rowLock, goal, left, crashes, promise, fired>>

\* Book: this candidate is taken -- ROLLBACK and try the next candidate table in
\* a new transaction, or refuse (SlotTaken / no table free).
NextCandidate(a) ==
    LET g == goal[a] IN
    IF Len(g.rem) > 1
    THEN /\ \E order \in LockOrders(g.rem[2], GoalStay(g)) :
               tx' = [tx EXCEPT ![a] = NewTx("book", a, g.rem[2], GoalStay(g), order,
                                             NoRow, "booked")]
         /\ goal' = [goal EXCEPT ![a].rem = Tail(g.rem)]
    ELSE Answered(a)

\* change / cancel / set_status read their row with SELECT ... FOR UPDATE: they
\* wait while another transaction holds the row lock.
NeedsRow(a) == UseRowLock /\ tx[a].kind \in {"change", "status"}

(* The step after the advisory locks:
   book   -- _recheck_free: is another active reservation on the table overlapping?
   change -- SELECT ... FOR UPDATE (row lock, fresh read), status must be booked,
             re-check excluding itself;
   status -- SELECT ... FOR UPDATE, transition check, UPDATE, COMMIT (the row lock
             is taken and released within this step: nothing else happens inside). *)
Check(a) ==
    /\ tx[a].ph = "check"
    /\ NeedsRow(a) => rowLock[tx[a].res] \in {NoOne, a}
    /\ LET T0 == tx[a]
           T  == IF NeedsRow(a) THEN [T0 EXCEPT !.snap = rows[T0.res]] ELSE T0
           x  == [s |-> T.s, e |-> T.e] IN
       CASE T.kind = "book" ->
              /\ IF Taken(T.t, x, a)
                 THEN /\ Abort(a)                        \* ROLLBACK, next candidate
                      /\ NextCandidate(a)
                 ELSE /\ tx' = [tx EXCEPT ![a].ph = "write"]
                      /\ UNCHANGED <<goal, adv, rowLock>>
              /\ UNCHANGED <<rows, promise, fired>>
         [] T.kind = "change" ->
              /\ IF T.snap.st = "booked"
                    /\ ~Taken(T.t, x, IF RecheckExcludesSelf THEN T.res ELSE NoOne)
                 THEN /\ tx' = [tx EXCEPT ![a] = [T EXCEPT !.ph = "write"]]
                      /\ rowLock' = IF NeedsRow(a) THEN [rowLock EXCEPT ![T.res] = a]
                                    ELSE rowLock
                      /\ UNCHANGED <<goal, adv>>
                 ELSE /\ Answered(a)            \* SlotTaken / InvalidTransition
                      /\ Abort(a)
              /\ UNCHANGED <<rows, promise, fired>>
         [] T.kind = "status" ->
              /\ Answered(a)
              /\ IF <<T.snap.st, T.target>> \notin Moves
                 THEN /\ Abort(a)                                 \* InvalidTransition
                      /\ UNCHANGED <<rows, promise, fired>>
                 ELSE LET new == [T.snap EXCEPT !.st = T.target] IN
                      IF UseConstraint /\ new.st \in Active /\ Taken(new.t, StayOf(new), T.res)
                      THEN /\ Abort(a)                             \* constraint: abort
                           /\ fired' = TRUE
                           /\ UNCHANGED <<rows, promise>>
                      ELSE /\ Commit(a)
                           /\ rows' = [rows EXCEPT ![T.res] = new]
                           \* the guest learns of its own cancel, and of the
                           \* restaurant closing its reservation
                           /\ promise' = IF a = T.res \/ T.target \notin Active
                                         THEN [promise EXCEPT ![T.res] = NoPromise]
                                         ELSE promise
                           /\ UNCHANGED fired
    /\ UNCHANGED <<left, crashes>>

(* INSERT (book) / UPDATE (change) and COMMIT; the exclusion constraint checks
   the written row against every committed active row. *)
Write(a) ==
    /\ tx[a].ph = "write"
    /\ LET T == tx[a]
           new == IF T.kind = "book" THEN Row(T.t, [s |-> T.s, e |-> T.e], "booked")
                  ELSE [T.snap EXCEPT !.t = T.t, !.s = T.s, !.e = T.e] IN
       /\ IF UseConstraint /\ new.st \in Active /\ Taken(new.t, StayOf(new), T.res)
          THEN /\ Abort(a)
               /\ fired' = TRUE                                  \* SlotTaken
               /\ UNCHANGED <<rows, promise>>
               /\ IF T.kind = "book" THEN NextCandidate(a) ELSE Answered(a)
          ELSE /\ Commit(a)
               /\ rows' = [rows EXCEPT ![T.res] = new]
               /\ promise' = [promise EXCEPT ![T.res] = [t |-> new.t, s |-> new.s, e |-> new.e]]
               /\ Answered(a)
               /\ UNCHANGED fired
    /\ UNCHANGED <<left, crashes>>

\* a waits for a lock that another transaction holds.
WaitsFor(a) ==
    IF tx[a].ph = "lock" THEN adv[tx[a].keys[tx[a].i]]
    ELSE IF tx[a].ph = "check" /\ NeedsRow(a) THEN rowLock[tx[a].res]
    ELSE NoOne
Blocked(a) == WaitsFor(a) \notin {NoOne, a}

(* lock_timeout: the wait is cut short, the transaction aborts, the guest is told
   "try again" -- and (a persistent client) tries again: the request stays open. *)
Timeout(a) ==
    /\ LockTimeouts /\ Blocked(a)
    /\ Abort(a)
    /\ tx' = [tx EXCEPT ![a] = IdleTx]
    /\ UNCHANGED <<rows, goal, left, crashes, promise, fired>>

(* The client dies / the connection drops mid-transaction: PostgreSQL aborts the
   transaction and drops its locks.  Nothing was committed. *)
Crash(a) ==
    /\ tx[a].ph /= "idle" /\ crashes < MaxCrashes
    /\ Release(a, TRUE)   \* the session ends, and every lock it held with it
    /\ tx' = [tx EXCEPT ![a] = IdleTx]
    /\ crashes' = crashes + 1
    /\ UNCHANGED <<rows, goal, left, promise, fired>>

\* Nobody is inside a request: the system may idle forever (not a deadlock).
Quiet == /\ \A a \in Actors : tx[a].ph = "idle" /\ ~goal[a].open
         /\ UNCHANGED vars

Step(a) == Retry(a) \/ Acquire(a) \/ Check(a) \/ Write(a)

Next == \/ \E a \in Actors : Ask(a) \/ Step(a) \/ Timeout(a) \/ Crash(a)
        \/ Quiet

Spec == Init /\ [][Next]_vars

(* Weak fairness on each actor's protocol steps only: nobody is forced to ask,
   to time out or to crash. *)
FairSpec == Spec /\ \A a \in Actors : WF_vars(Step(a))

(* ... and with lock_timeout as a guarantee: a transaction that keeps waiting for
   a lock is eventually aborted ("try again"). *)
FairSpecTimeouts == FairSpec /\ \A a \in Actors : WF_vars(Timeout(a))

-----------------------------------------------------------------------------
(* SAFETY *)

\* No table holds two overlapping active reservations.
NoOverlap ==
    \A c1, c2 \in Clients :
        (c1 /= c2 /\ rows[c1].st \in Active /\ rows[c2].st \in Active /\ rows[c1].t = rows[c2].t)
            => ~Overlap(rows[c1], rows[c2])

\* A confirmed booking is never lost or silently changed by another actor: what
\* the guest was last told (booked/moved to table t, stay [s,e)) is in the DB and
\* active, until the guest cancels or the restaurant closes it (and says so).
NoLostBooking ==
    \A c \in Clients :
        promise[c] /= NoPromise =>
            /\ rows[c].st \in Active
            /\ <<rows[c].t, rows[c].s, rows[c].e>> = <<promise[c].t, promise[c].s, promise[c].e>>

\* Locks are held only by a transaction in progress (and only the ones it took).
LocksOnlyInTx ==
    /\ \A k \in Keys :
          adv[k] /= NoOne =>
             /\ adv[k] \in Actors
             /\ tx[adv[k]].ph /= "idle"
             /\ \E j \in 1..(tx[adv[k]].i - 1) : tx[adv[k]].keys[j] = k
    /\ \A r \in Clients :
          rowLock[r] /= NoOne =>
             /\ tx[rowLock[r]].ph = "write"
             /\ tx[rowLock[r]].res = r

\* No set of transactions waits on itself (a deadlock in the waits-for graph).
NoLockWaitCycle ==
    ~\E S \in SUBSET Actors : S /= {} /\ \A a \in S : Blocked(a) /\ WaitsFor(a) \in S

\* Status moves follow the allowed transitions (and a row is born "booked").
StatusMovesValid ==
    [][\A r \in Clients :
          rows'[r].st /= rows[r].st =>
              <<rows[r].st, rows'[r].st>> \in Moves \cup {<<"none", "booked">>}]_rows

\* With the advisory locks on, the constraint is a backstop that never fires.
BackstopNeverFires == ~fired

-----------------------------------------------------------------------------
(* LIVENESS (under FairSpec) *)

InTx(a) == tx[a].ph /= "idle"
\* Every transaction ends: committed, refused, or aborted by lock_timeout.
\* Without relying on lock_timeout (timeouts are not fair), this is freedom from deadlock.
EveryRequestAnswered == \A a \in Actors : InTx(a) ~> ~InTx(a)

\* Guest c's request (book, or move a booking that can still be moved) is open
\* and one of the tables this attempt has still to try is free for the stay
\* (ignoring c's own row).
SlotFree(c) ==
    /\ goal[c].open
    /\ \/ goal[c].kind = "book"
       \/ goal[c].kind = "change" /\ rows[c].st = "booked"
    /\ \E j \in 1..Len(goal[c].rem) :
          ~Taken(goal[c].rem[j], [s |-> goal[c].s, e |-> goal[c].e], c)

\* A guest that keeps asking for a slot that stays free eventually gets it.
\* Two halves: it is never refused while the slot is free (a definitive answer
\* that gives it nothing -- promise unchanged -- comes only when every table it
\* tried was taken) ...
NoRefusalWhileFree ==
    [][\A c \in Clients :
          (goal[c].open /\ ~goal'[c].open /\ promise'[c] = promise[c]) => ~SlotFree(c)]_vars
\* ... and it is never left asking forever (re-trying after "try again") while
\* the slot stays free: it gets an answer, which by the above is the slot.
FreeSlotGranted == \A c \in Clients : SlotFree(c) ~> ~SlotFree(c)

-----------------------------------------------------------------------------
(* Model values the .cfg files cannot spell. *)
Sym == Permutations(Clients)
\* Auto-assignment, best fit first: a party of 2 fits tables 1 and 2 (1 is the
\* better fit), a party of 4 only fits table 2.
BestFit == {<<1, 2>>, <<2>>}
\* One table per request (no auto-assignment).
SingleTable == {<<1>>, <<2>>}
\* A restaurant with one table (Tables = {1}).
OneTable == {<<1>>}
=============================================================================
