--------------------------- MODULE BookingManager ---------------------------
(***************************************************************************)
(* The write protocol of Booking Manager: webapp/booking/service.py,       *)
(* transaction.py, rules.py and locks.py.  spec/README.md maps every       *)
(* action to the code and every property to the tests that check it on     *)
(* the running system.                                                     *)
(*                                                                         *)
(* Every write is ONE PostgreSQL transaction (write_transaction):          *)
(*                                                                         *)
(*   BEGIN; SET LOCAL lock_timeout = '3000ms'                              *)
(*   SELECT ... FOR UPDATE          change / set_status: the row, FIRST    *)
(*   (unlocked read: skip candidate tables that already look taken)        *)
(*   pg_advisory_xact_lock(t, b)    book / change: every 15-minute bucket  *)
(*                                  b of the NEW stay on every table t the *)
(*                                  candidate holds (one table, or a       *)
(*                                  combination), ALL keys sorted together *)
(*                                  (locks.slot_lock_keys)                 *)
(*   pacing: (-restaurant, slot) keys sorted with the table keys          *)
(*   re-count the pace (booking/pacing.py) when covers arrive at a slot    *)
(*   re-check: no other active reservation of any held table overlaps    *)
(*   INSERT / UPDATE: one row per held table; COMMIT                       *)
(*                                                                         *)
(* Transaction-scoped locks go at COMMIT or ROLLBACK, also when the client *)
(* dies.  A lock wait longer than lock_timeout aborts the transaction      *)
(* (LockTimeout: "try again").  Auto-assignment tries the candidate tables *)
(* best fit first -- single tables, then combinations of tables (issue    *)
(* 19) -- ONE CANDIDATE PER TRANSACTION: a candidate found taken is rolled *)
(* back and the next one gets a fresh transaction.  set_status takes the   *)
(* row lock only.  Underneath, the exclusion constraint                    *)
(* reservations_no_overlap refuses an active row overlapping another      *)
(* active row of its table (SlotTaken(by_constraint=True)); a combination *)
(* writes one row per table, each checked on its own.                     *)
(*                                                                         *)
(* Actors: guests (Clients) who book, move (change) and cancel their own   *)
(* reservation; the restaurant (Owner) who moves any reservation and sets  *)
(* statuses: booked->seated->completed, booked->no_show,                   *)
(* booked|seated->cancelled.                                               *)
(*                                                                         *)
(* The BOOLEAN constants switch parts of the protocol off for the control *)
(* models, which must FAIL (see spec/README.md and spec/check.py).        *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets, TLC

CONSTANTS
    Clients,        \* guests; each id stands for ONE reservation row (a guest who
                    \* books again is another client of the model)
    Owner,          \* the restaurant's staff (owner dashboard)
    NoOne,          \* "nobody": a free lock
    Pool,           \* holder of session locks leaked into a pooled connection
    Tables,         \* table ids (numbers); lock keys are ordered by (table, bucket)
    NBuckets,       \* 15-minute lock buckets in the modelled service window
    MaxStay,        \* longest stay, in buckets (>= 2: overlapping-but-different stays)
    CandidateLists, \* candidate lists a booking may carry (best fit first); a
                    \* candidate is a sequence of tables: one table, or a
                    \* combination in the order the restaurant lists its tables
    MaxRequests,    \* requests (book / change / cancel) each guest makes
    MaxOwnerMoves,  \* requests the owner makes (moves and status moves, valid or not)
    MaxCrashes,     \* transactions that die mid-way (client crash / dropped connection)
    UseLocks,       \* advisory locks on every (table, bucket) of the stay
    SortedLocks,    \* ... taken in sorted key order (else in any order)
    UseRowLock,     \* SELECT ... FOR UPDATE (populate_existing) of the row
    UseConstraint,  \* exclusion constraint reservations_no_overlap
    LockTimeouts,   \* lock_timeout may abort a transaction that waits for a lock
    RecheckExcludesSelf, \* change(): the re-check ignores the reservation being moved
    XactLocks,      \* advisory locks are transaction-scoped (pg_advisory_xact_lock);
                    \* FALSE: session-scoped, unlocked on the success path only
    Pace,           \* covers (one per reservation) that may start in one slot; 0: no pace
    UsePaceKey,     \* the restaurant-level pace key of the new start's slot, taken with
                    \* the table keys in one sorted order (pacing.PaceWindow.lock_keys)
    SortedAcrossTables, \* a combination's keys: those of ALL its tables in one sorted
                    \* order (else table by table, in the order the combination
                    \* lists them, each table's keys sorted)
    RecheckEveryTable   \* the re-check under the locks covers every table of the
                    \* candidate (else only the first one the combination lists)

ASSUME /\ Owner \notin Clients /\ NoOne \notin Clients \cup {Owner}
       /\ Pool \notin Clients \cup {Owner, NoOne}
       /\ Tables \subseteq Nat /\ NBuckets \in Nat \ {0} /\ MaxStay \in Nat \ {0}
       /\ \A cl \in CandidateLists :
             /\ Len(cl) > 0
             /\ \A i \in 1..Len(cl) :
                   /\ Len(cl[i]) > 0 /\ \A j \in 1..Len(cl[i]) : cl[i][j] \in Tables
                   /\ Cardinality({cl[i][j] : j \in 1..Len(cl[i])}) = Len(cl[i])
       /\ MaxRequests \in Nat /\ MaxOwnerMoves \in Nat /\ MaxCrashes \in Nat
       /\ 0 \notin Tables /\ Pace \in Nat
       /\ \A b \in {UseLocks, SortedLocks, UseRowLock, UseConstraint, LockTimeouts,
                    RecheckExcludesSelf, XactLocks, UsePaceKey, SortedAcrossTables,
                    RecheckEveryTable} : b \in BOOLEAN

Actors == Clients \cup {Owner}
Range(f) == {f[i] : i \in DOMAIN f}
\* Sequence s without its element v (candidate lists hold no duplicates).
Remove(s, v) == LET j == CHOOSE i \in 1..Len(s) : s[i] = v
                IN [i \in 1..(Len(s) - 1) |-> IF i < j THEN s[i] ELSE s[i + 1]]

-----------------------------------------------------------------------------
(* Time: a stay is the half-open bucket interval [s, e). *)
Buckets == 1..NBuckets
Stays   == {x \in [s : Buckets, e : 2..NBuckets + 1] : x.s < x.e /\ x.e - x.s <= MaxStay}
Overlap(x, y) == x.s < y.e /\ y.s < x.e
StayOf(r) == [s |-> r.s, e |-> r.e]

(* Lock keys: pg_advisory_xact_lock(table_id, bucket); table 0 stands for the
   restaurant's pace keys (-restaurant id, slot) in the code, which sort before every
   table's keys there as <<0, b>> does here.  A slot of the pace is a bucket. *)
Keys == ({0} \cup Tables) \X Buckets
\* locks.slot_lock_keys(table_id, starts_at, ends_at): the keys of a stay, sorted.
SortedKeys(t, x) == [i \in 1..(x.e - x.s) |-> <<t, x.s + i - 1>>]
\* The keys of stay x on the tables of sequence ts, table by table.
RECURSIVE KeysOf(_, _)
KeysOf(ts, x) == IF ts = <<>> THEN <<>> ELSE SortedKeys(Head(ts), x) \o KeysOf(Tail(ts), x)
\* The tables of set S in ascending order.
Ascending(S) == CHOOSE q \in [1..Cardinality(S) -> S] :
                    \A i, j \in DOMAIN q : i < j => q[i] < q[j]
\* The keys of candidate cand (one table or a combination): those of all its tables
\* in one sorted order, as (table, bucket) pairs sort -- the tables ascending, each
\* table's buckets ascending.  (Control: table by table as the combination lists
\* its tables.)
TableKeys(cand, x) == IF SortedAcrossTables THEN KeysOf(Ascending(Range(cand)), x)
                      ELSE KeysOf(cand, x)
\* The pace key of the new start's slot (service._claim_table adds it when the
\* service has a pace): first in the sorted order.
PaceKeys(x) == IF Pace > 0 /\ UsePaceKey THEN <<<<0, x.s>>>> ELSE <<>>
AllKeys(cand, x) == PaceKeys(x) \o TableKeys(cand, x)
\* The orders in which a transaction may take them.
LockOrders(cand, x) ==
    IF ~UseLocks THEN {<<>>}
    ELSE IF SortedLocks THEN {AllKeys(cand, x)}
    ELSE {p \in [1..Len(AllKeys(cand, x)) -> Range(AllKeys(cand, x))] :
              Range(p) = Range(AllKeys(cand, x))}

(* Reservation statuses; "none": the row does not exist (yet). *)
Status   == {"none", "booked", "seated", "completed", "cancelled", "no_show"}
Active   == {"booked", "seated"}
\* pacing.PACED_STATUSES: the covers that count (cancelled and no-show ones do not)
Paced    == {"booked", "seated", "completed"}
\* rules.TRANSITIONS
Moves    == {<<"booked", "seated">>, <<"seated", "completed">>, <<"booked", "no_show">>,
             <<"booked", "cancelled">>, <<"seated", "cancelled">>}
Targets  == {"seated", "completed", "no_show", "cancelled"}

\* A reservation: its stay, status and the set of tables it holds (ts), one
\* database row per table (a combination: several rows, each under the constraint).
NoRow     == [ts |-> {}, s |-> 0, e |-> 0, st |-> "none"]
NoPromise == [ts |-> {}, s |-> 0, e |-> 0]

-----------------------------------------------------------------------------
VARIABLES
    rows,     \* rows[c]: guest c's reservation (its rows, one per table), as committed
    adv,      \* adv[k]: who holds advisory lock k: an actor, NoOne, or Pool
    rowLock,  \* rowLock[c]: who holds FOR UPDATE on row c, or NoOne
    tx,       \* tx[a]: a's transaction in progress (ph = "idle": none)
    goal,     \* goal[a]: a's request; stays open across "try again" retries
    left,     \* left[a]: requests a may still make
    crashes,  \* transactions that died so far
    promise,  \* ghost: what guest c was last told it holds (tables, stay), or NoPromise
    fired     \* ghost: the exclusion constraint has refused a write

vars == <<rows, adv, rowLock, tx, goal, left, crashes, promise, fired>>

(* tx[a]:  ph      idle | row (waits for / takes FOR UPDATE) | lock | check | write
           kind    book | change | status
           res     the reservation row written
           cand    the candidate being claimed (book / change): a sequence of
                   tables -- one, or a combination as the restaurant lists it
           s, e    the stay being claimed
           keys    the advisory keys in the order taken;  i: the next one
           snap    the row as this transaction read it
           target  the new status (status moves)
   goal[a]: open, kind, res, target, s, e (the stay asked for),
           cands   candidates (best fit first: single tables, then combinations),
           rem     the candidates this request has not yet tried and been refused *)
IdleTx == [ph |-> "idle", kind |-> "none", res |-> NoOne, cand |-> <<>>, s |-> 0, e |-> 0,
           keys |-> <<>>, i |-> 1, snap |-> NoRow, target |-> "none"]
NoGoal == [open |-> FALSE, kind |-> "none", res |-> NoOne, cands |-> <<>>, rem |-> <<>>,
           s |-> 0, e |-> 0, target |-> "none"]

TypeOK ==
    /\ rows \in [Clients -> [ts : SUBSET Tables, s : 0..NBuckets, e : 0..NBuckets + 1,
                             st : Status]]
    /\ adv \in [Keys -> Actors \cup {NoOne, Pool}]
    /\ rowLock \in [Clients -> Actors \cup {NoOne}]
    /\ \A a \in Actors : tx[a].ph \in {"idle", "row", "lock", "check", "write"}
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

\* Another active reservation holding table t (alone or joined) overlaps stay x
\* (reservation `self` ignored, all its rows): service._table_is_free, negated.
Taken(t, x, self) ==
    \E o \in Clients \ {self} : rows[o].st \in Active /\ t \in rows[o].ts /\ Overlap(rows[o], x)

\* Some table of the sequence ts is taken.
AnyTaken(ts, x, self) == \E i \in 1..Len(ts) : Taken(ts[i], x, self)

\* The exclusion constraint refuses reservation `new` of `self`: one of its rows
\* (one per table) overlaps an active row of another reservation on that table.
ConstraintRefuses(new, self) ==
    /\ UseConstraint /\ new.st \in Active
    /\ \E t \in new.ts : Taken(t, StayOf(new), self)

\* Covers starting in slot b, row `self` left out (pacing.covers(..., ignore)).
Covers(b, self) == Cardinality({o \in Clients \ {self} : rows[o].st \in Paced /\ rows[o].s = b})

\* Does the write of transaction T bring covers to its start's slot?  A booking
\* does; a move only to another slot (pacing.check_for: the old start's covers
\* just leave, without a key).
Arrives(T) == T.kind = "book" \/ ~(rows[T.res].st \in Paced /\ rows[T.res].s = T.s)

\* The re-count under the keys finds no room for one more cover.
OverPace(T) == Pace > 0 /\ Arrives(T) /\ Covers(T.s, T.res) + 1 > Pace

\* COMMIT / ROLLBACK: every transaction-scoped lock of a goes.  (With session-
\* scoped advisory locks -- control models only -- the code unlocks them on the
\* success path alone, so an abort leaves them to the pooled connection; a
\* dropped connection ends the session and frees them either way.)
Release(a, freed) ==
    /\ adv' = [k \in Keys |-> IF adv[k] /= a THEN adv[k]
                              ELSE IF XactLocks \/ freed THEN NoOne ELSE Pool]
    /\ rowLock' = [r \in Clients |-> IF rowLock[r] = a THEN NoOne ELSE rowLock[r]]
Commit(a) == Release(a, TRUE)
Abort(a)  == Release(a, FALSE)

\* The request got its definitive answer (done / SlotTaken / InvalidTransition /
\* NotChangeable).
Answered(a) ==
    /\ tx' = [tx EXCEPT ![a] = IdleTx]
    /\ goal' = [goal EXCEPT ![a] = NoGoal]

\* The row as an unlocked read sees it at BEGIN.  Kept only where nothing reads
\* it afresh (no FOR UPDATE), so that a dead copy does not split states.
Unlocked(r) == IF UseRowLock THEN NoRow ELSE r

\* service._next_free: the first candidate of `rem` none of whose tables an
\* unlocked read shows as taken (0: none -- SlotTaken without locking anything).
FirstFree(rem, x, self) ==
    LET J == {j \in 1..Len(rem) : ~AnyTaken(rem[j], x, self)}
    IN IF J = {} THEN 0 ELSE CHOOSE j \in J : \A i \in J : j <= i

\* A transaction that claims candidate cand (its tables) for stay x: advisory
\* locks, then the re-check.
Claim(base, cand, x, order) ==
    [base EXCEPT !.ph = IF Len(order) > 0 THEN "lock" ELSE "check",
                 !.cand = cand, !.s = x.s, !.e = x.e, !.keys = order, !.i = 1]

GoalStay(g) == [s |-> g.s, e |-> g.e]

(* One attempt of request g with candidates rem, in a fresh transaction.
   book:   pick a candidate (unlocked read), then lock and re-check it;
   change: wait for FOR UPDATE of the row first (phase "row");
   status: likewise. *)
Attempt(a, g, rem) ==
    CASE g.kind = "book" ->
           LET j == FirstFree(rem, GoalStay(g), a) IN
           IF j = 0 THEN Answered(a)                               \* SlotTaken
           ELSE /\ \E order \in LockOrders(rem[j], GoalStay(g)) :
                      tx' = [tx EXCEPT ![a] = Claim([IdleTx EXCEPT !.kind = "book",
                                                       !.res = a, !.target = "booked"],
                                                    rem[j], GoalStay(g), order)]
                /\ goal' = [goal EXCEPT ![a] = [g EXCEPT !.rem = rem]]
      [] g.kind \in {"change", "status"} ->
           /\ tx' = [tx EXCEPT ![a] = [IdleTx EXCEPT !.ph = "row", !.kind = g.kind,
                                          !.res = g.res, !.target = g.target,
                                          !.snap = Unlocked(rows[g.res])]]
           /\ goal' = [goal EXCEPT ![a] = [g EXCEPT !.rem = rem]]

\* The candidate just claimed is taken (re-check or constraint): ROLLBACK and try
\* the next one in a new transaction, or answer SlotTaken.
NextCandidate(a) ==
    LET g == goal[a]
        rem == Remove(g.rem, tx[a].cand) IN
    IF rem = <<>> THEN Answered(a) ELSE Attempt(a, g, rem)

-----------------------------------------------------------------------------
(* A request arrives and its first transaction begins.
   Guests: book (service.book) if they hold nothing; move (service.change) or
   cancel (service.cancel) the booking they were confirmed.  Owner: move any
   reservation (service.change, actor="owner") or set any status on it
   (service.set_status) -- including invalid ones, which must be refused. *)
Request(a, g) ==
    /\ Attempt(a, g, g.cands)
    /\ left' = [left EXCEPT ![a] = @ - 1]
    /\ UNCHANGED <<rows, adv, rowLock, crashes, promise, fired>>

ChangeGoal(r, cd, x) == [open |-> TRUE, kind |-> "change", res |-> r, cands |-> <<cd>>,
                         rem |-> <<cd>>, s |-> x.s, e |-> x.e, target |-> "none"]
\* Where a move may go: any one table, or any combination a booking may be given.
MoveTargets == {<<t>> : t \in Tables} \cup UNION {Range(cl) : cl \in CandidateLists}
\* Does a move to candidate cd and stay x leave reservation r where it is?
Unmoved(r, cd, x) == <<Range(cd), x.s, x.e>> = <<r.ts, r.s, r.e>>
StatusGoal(r, st) == [NoGoal EXCEPT !.open = TRUE, !.kind = "status", !.res = r,
                                    !.target = st]

Ask(a) ==
    /\ tx[a].ph = "idle" /\ ~goal[a].open /\ left[a] > 0
    /\ \/ /\ a \in Clients /\ rows[a].st = "none"
          /\ \E x \in Stays, cl \in CandidateLists :
                Request(a, [open |-> TRUE, kind |-> "book", res |-> a, cands |-> cl,
                            rem |-> cl, s |-> x.s, e |-> x.e, target |-> "booked"])
       \/ /\ a \in Clients /\ promise[a] /= NoPromise
          /\ \E cd \in MoveTargets, x \in Stays :
                /\ ~Unmoved(promise[a], cd, x)
                /\ Request(a, ChangeGoal(a, cd, x))
       \/ /\ a \in Clients /\ promise[a] /= NoPromise
          /\ Request(a, StatusGoal(a, "cancelled"))
       \/ /\ a = Owner
          /\ \E r \in Clients :
                /\ rows[r].st /= "none"
                /\ \/ \E st \in Targets : Request(a, StatusGoal(r, st))
                   \/ \E cd \in MoveTargets, x \in Stays :
                         /\ ~Unmoved(rows[r], cd, x)
                         /\ Request(a, ChangeGoal(r, cd, x))

(* The client asks again after "try again" (LockTimeout) or a dropped connection:
   the same request from the start. *)
Retry(a) ==
    /\ tx[a].ph = "idle" /\ goal[a].open
    /\ Attempt(a, goal[a], goal[a].cands)
    /\ UNCHANGED <<rows, adv, rowLock, left, crashes, promise, fired>>

(* SELECT ... FOR UPDATE (populate_existing): waits while another transaction
   holds the row, then reads it afresh.  Without the row lock (control models)
   the transaction goes on with the copy it read at BEGIN.
   change:     NotChangeable unless booked (guest) / active (owner); pick the
               candidate (unlocked read); go on to its advisory locks -- holding
               the row lock.
   set_status: InvalidTransition unless allowed; UPDATE status; COMMIT.  (No
               advisory locks: a status move never makes a stay active.) *)
LockRow(a) ==
    /\ tx[a].ph = "row"
    /\ LET T == tx[a]
           r == IF UseRowLock THEN rows[T.res] ELSE T.snap
           g == goal[a] IN
       /\ UseRowLock => rowLock[T.res] = NoOne
       /\ CASE T.kind = "change" ->
                 LET j == FirstFree(g.rem, GoalStay(g), T.res)
                     may == IF a = T.res THEN r.st = "booked" ELSE r.st \in Active IN
                 IF ~may \/ j = 0
                 THEN /\ Answered(a)                 \* NotChangeable / SlotTaken
                      /\ UNCHANGED rowLock
                 ELSE /\ \E order \in LockOrders(g.rem[j], GoalStay(g)) :
                            tx' = [tx EXCEPT ![a] = Claim([T EXCEPT !.snap = r],
                                                          g.rem[j], GoalStay(g), order)]
                      /\ rowLock' = IF UseRowLock THEN [rowLock EXCEPT ![T.res] = a]
                                    ELSE rowLock
                      /\ UNCHANGED goal
              [] T.kind = "status" ->
                 /\ Answered(a)
                 /\ UNCHANGED rowLock      \* taken and released within this step
       /\ IF T.kind = "status" /\ <<r.st, T.target>> \in Moves
          THEN LET new == [rows[T.res] EXCEPT !.st = T.target] IN   \* UPDATE status
               IF ConstraintRefuses(new, T.res)
               THEN /\ fired' = TRUE                                \* constraint
                    /\ UNCHANGED <<rows, promise>>
               ELSE /\ rows' = [rows EXCEPT ![T.res] = new]
                    \* the guest learns of its own cancel, and of the restaurant
                    \* closing its reservation (e-mail)
                    /\ promise' = IF a = T.res \/ T.target \notin Active
                                  THEN [promise EXCEPT ![T.res] = NoPromise]
                                  ELSE promise
                    /\ UNCHANGED fired
          ELSE UNCHANGED <<rows, promise, fired>>
    /\ UNCHANGED <<adv, left, crashes>>

(* pg_advisory_xact_lock(table, bucket), in the transaction's key order: granted
   when nobody holds the key, otherwise the transaction waits (this action is
   disabled) until the holder commits or aborts. *)
Acquire(a) ==
    /\ tx[a].ph = "lock"
    /\ LET k == tx[a].keys[tx[a].i] IN
       /\ adv[k] = NoOne
       /\ adv' = [adv EXCEPT ![k] = a]
       /\ tx' = [tx EXCEPT ![a].i = @ + 1,
                           ![a].ph = IF tx[a].i = Len(tx[a].keys) THEN "check" ELSE "lock"]
    /\ UNCHANGED <<rows, rowLock, goal, left, crashes, promise, fired>>

(* The re-count and re-check under the locks (service._claim_table): the pace
   full -> ROLLBACK, PaceExceeded (restaurant-wide: no other table helps); any
   table of the candidate taken -> ROLLBACK, next candidate; all free -> go on
   to the write.  (Control: only the first table the combination lists.) *)
Rechecked(T) == IF RecheckEveryTable THEN T.cand ELSE <<T.cand[1]>>

Check(a) ==
    /\ tx[a].ph = "check"
    /\ LET T == tx[a]
           self == IF T.kind = "book" \/ RecheckExcludesSelf THEN T.res ELSE NoOne IN
       IF OverPace(T)
       THEN /\ Abort(a)
            /\ Answered(a)
       ELSE IF AnyTaken(Rechecked(T), [s |-> T.s, e |-> T.e], self)
       THEN /\ Abort(a)
            /\ NextCandidate(a)
       ELSE /\ tx' = [tx EXCEPT ![a].ph = "write"]
            /\ UNCHANGED <<goal, adv, rowLock>>
    /\ UNCHANGED <<rows, left, crashes, promise, fired>>

(* INSERT (book) / UPDATE of tables and stay (change), COMMIT: one row per held
   table.  The exclusion constraint checks each written row against the
   committed active rows of its table; a violation aborts (SlotTaken,
   by_constraint) and the next candidate is tried. *)
Write(a) ==
    /\ tx[a].ph = "write"
    /\ LET T == tx[a]
           new == IF T.kind = "book"
                  THEN [ts |-> Range(T.cand), s |-> T.s, e |-> T.e, st |-> "booked"]
                  ELSE [rows[T.res] EXCEPT !.ts = Range(T.cand), !.s = T.s, !.e = T.e] IN
       IF ConstraintRefuses(new, T.res)
       THEN /\ Abort(a)
            /\ fired' = TRUE
            /\ NextCandidate(a)
            /\ UNCHANGED <<rows, promise>>
       ELSE /\ Commit(a)
            /\ rows' = [rows EXCEPT ![T.res] = new]
            \* the guest is told: booked / moved (by itself or by the restaurant)
            /\ promise' = [promise EXCEPT ![T.res] = [ts |-> new.ts, s |-> new.s, e |-> new.e]]
            /\ Answered(a)
            /\ UNCHANGED fired
    /\ UNCHANGED <<left, crashes>>

\* Whom a waits for: the holder of the lock its next statement needs.
WaitsFor(a) ==
    IF tx[a].ph = "lock" THEN adv[tx[a].keys[tx[a].i]]
    ELSE IF tx[a].ph = "row" /\ UseRowLock THEN rowLock[tx[a].res]
    ELSE NoOne
Blocked(a) == WaitsFor(a) \notin {NoOne, a}

(* lock_timeout: the wait is cut short, the transaction rolls back, the client is
   told "try again" (LockTimeout); its request stays open (it will Retry). *)
Timeout(a) ==
    /\ LockTimeouts /\ Blocked(a)
    /\ Abort(a)
    /\ tx' = [tx EXCEPT ![a] = IdleTx]
    /\ UNCHANGED <<rows, goal, left, crashes, promise, fired>>

(* The client dies / the connection drops mid-transaction: PostgreSQL rolls the
   transaction back and the session's locks go with it.  Nothing was committed. *)
Crash(a) ==
    /\ tx[a].ph /= "idle" /\ crashes < MaxCrashes
    /\ Release(a, TRUE)
    /\ tx' = [tx EXCEPT ![a] = IdleTx]
    /\ crashes' = crashes + 1
    /\ UNCHANGED <<rows, goal, left, promise, fired>>

\* Nobody is inside a request: the system may idle forever (not a deadlock).
Quiet == /\ \A a \in Actors : tx[a].ph = "idle" /\ ~goal[a].open
         /\ UNCHANGED vars

Step(a) == Retry(a) \/ LockRow(a) \/ Acquire(a) \/ Check(a) \/ Write(a)

Next == \/ \E a \in Actors : Ask(a) \/ Step(a) \/ Timeout(a) \/ Crash(a)
        \/ Quiet

Spec == Init /\ [][Next]_vars

(* Weak fairness on each actor's protocol steps only: nobody is forced to ask,
   to time out or to crash. *)
FairSpec == Spec /\ \A a \in Actors : WF_vars(Step(a))

(* ... and with lock_timeout as a guarantee: a transaction that keeps waiting
   for a lock is eventually aborted ("try again"). *)
FairSpecTimeouts == FairSpec /\ \A a \in Actors : WF_vars(Timeout(a))

-----------------------------------------------------------------------------
(* SAFETY *)

\* No table holds two overlapping active reservations: per table, over all rows,
\* those of joined stays included.
NoOverlap ==
    \A c1, c2 \in Clients :
        (c1 /= c2 /\ rows[c1].st \in Active /\ rows[c2].st \in Active
                  /\ rows[c1].ts \cap rows[c2].ts /= {})
            => ~Overlap(rows[c1], rows[c2])

\* A confirmed booking is never lost or silently changed by another actor: what
\* the guest was last told (booked / moved to tables ts, stay [s, e)) is in the
\* database and active, until the guest cancels it or the restaurant closes it
\* (and says so).
NoLostBooking ==
    \A c \in Clients :
        promise[c] /= NoPromise =>
            /\ rows[c].st \in Active
            /\ <<rows[c].ts, rows[c].s, rows[c].e>> = <<promise[c].ts, promise[c].s, promise[c].e>>

\* Locks are held only by a transaction in progress, and only those it took.
LocksOnlyInTx ==
    /\ \A k \in Keys :
          adv[k] /= NoOne =>
             /\ adv[k] \in Actors
             /\ tx[adv[k]].ph /= "idle"
             /\ \E j \in 1..(tx[adv[k]].i - 1) : tx[adv[k]].keys[j] = k
    /\ \A r \in Clients :
          rowLock[r] /= NoOne =>
             /\ tx[rowLock[r]].ph \in {"lock", "check", "write"}
             /\ tx[rowLock[r]].res = r

\* No set of transactions waits on itself (a cycle in the waits-for graph).
NoLockWaitCycle ==
    ~\E S \in SUBSET Actors : S /= {} /\ \A a \in S : Blocked(a) /\ WaitsFor(a) \in S

\* Status moves follow the allowed transitions (and a row is born "booked").
StatusMovesValid ==
    [][\A r \in Clients :
          rows'[r].st /= rows[r].st =>
              <<rows[r].st, rows'[r].st>> \in Moves \cup {<<"none", "booked">>}]_rows

\* No slot ever has more covers starting in it than the pace (booking/pacing.py).
PaceKept ==
    Pace > 0 => \A b \in Buckets :
        Cardinality({c \in Clients : rows[c].st \in Paced /\ rows[c].s = b}) <= Pace

\* With the advisory locks on, the constraint is a backstop that never fires.
BackstopNeverFires == ~fired

-----------------------------------------------------------------------------
(* LIVENESS (under FairSpec) *)

InTx(a) == tx[a].ph /= "idle"
\* Every transaction ends: committed, refused, or aborted by lock_timeout.
\* Under FairSpec, where lock_timeout is never relied on, this is also freedom
\* from deadlock.
EveryRequestAnswered == \A a \in Actors : InTx(a) ~> ~InTx(a)

\* Guest c's request (a booking, or a move of a booking it may still move) is
\* open, and one of the candidates it has not yet been refused -- a single table
\* or a combination, every table of it -- is free for the stay (c's own rows aside).
SlotFree(c) ==
    /\ goal[c].open
    /\ \/ goal[c].kind = "book"
       \/ goal[c].kind = "change" /\ rows[c].st = "booked"
    /\ \E j \in 1..Len(goal[c].rem) :
          ~AnyTaken(goal[c].rem[j], [s |-> goal[c].s, e |-> goal[c].e], c)
    \* ... and the pace has room for it (or it keeps its slot)
    /\ \/ Pace = 0
       \/ goal[c].kind = "change" /\ rows[c].st \in Paced /\ rows[c].s = goal[c].s
       \/ Covers(goal[c].s, c) < Pace

\* After this step guest c holds what its request asked for.
GrantedNext(c) ==
    /\ rows'[c].st \in Active
    /\ rows'[c].s = goal[c].s /\ rows'[c].e = goal[c].e
    /\ rows'[c].ts \in {Range(cd) : cd \in Range(goal[c].cands)}

\* "A client that keeps asking for a slot that stays free eventually gets it",
\* in two halves.  First: it is never refused while the slot is free -- an answer
\* that does not give it the slot comes only when every candidate it may still
\* have (no single table and no combination free) is taken.
NoRefusalWhileFree ==
    [][\A c \in Clients :
          (goal[c].open /\ ~goal'[c].open /\ ~GrantedNext(c)) => ~SlotFree(c)]_vars
\* Second: it is never left asking forever (re-trying after "try again") while
\* the slot stays free: it gets an answer -- by the first half, the slot.
FreeSlotGranted == \A c \in Clients : SlotFree(c) ~> ~SlotFree(c)

-----------------------------------------------------------------------------
(* Values the .cfg files cannot spell. *)
Sym == Permutations(Clients)
\* A candidate list is a sequence of candidates, each a sequence of tables.
\* Auto-assignment, best fit first: a party of 2 fits tables 1 and 2 (1 is the
\* better fit); a party of 4 fits table 2 only.
BestFit == {<<<<1>>, <<2>>>>, <<<<2>>>>}
\* One table per request (the guest or owner names it).
SingleTable == {<<<<1>>>>, <<<<2>>>>}
\* A restaurant with one table (Tables = {1}).
OneTable == {<<<<1>>>>}
\* Table combinations (issue 19), single tables first, then combinations, with
\* Tables = {1, 2, 3}: a party of 2 fits table 1 or 2; a party of 4 table 3, else
\* tables 1+2 joined; a party of 6 only tables 2+3, which the restaurant lists as
\* "3+2"; another only tables 1+2, listed "2+1" -- so that listed orders and the
\* sorted order of the keys differ, and two requests may list one combination in
\* opposite orders.
Joined == {<<<<1>>, <<2>>>>, <<<<3>>, <<1, 2>>>>, <<<<3, 2>>>>, <<<<2, 1>>>>}
\* Liveness with combinations, Tables = {1, 2}: a party of 4 fits table 2, else
\* tables 1+2; a party of 6 only the combination, listed "2+1".
BigParties == {<<<<2>>, <<1, 2>>>>, <<<<2, 1>>>>}
\* Two requests for the same combination, listed in opposite orders (controls).
Crossed == {<<<<1, 2>>>>, <<<<2, 1>>>>}
\* Table 2 alone, or the combination 1+2 that lists table 1 first (control).
TwoOrJoined == {<<<<2>>>>, <<<<1, 2>>>>}
=============================================================================
