"""Compiled sweep of the multinomial-Dirichlet sampler, one chain at a time (see ``md``).

The moves run as loops over units compiled by numba, so one sweep costs milliseconds instead of
thousands of small numpy calls. Every function works on one chain: ``beta`` is (n, R, C),
``alpha`` (R, C), ``x`` (n, R) the units' group fractions.

Ridge moves. For groups r ≠ s and candidates c ≠ d, moving the four "masses" ``m = x β`` of a
unit as ``m_rc += t, m_rd −= t, m_sc −= t, m_sd += t`` leaves the unit's row sums of β and its
candidate shares θ_i = Σ_r x_ir β_ir unchanged, so the likelihood is unchanged. t lives on the
open segment (−low, high) with ``low = min(m_rc, m_sd)`` and ``high = min(m_rd, m_sc)``; the
moves are random walks on the logit of the position on that segment, ``z = log(low / high)``.
Near an edge a step in z is a relative change of the small cell, so shares of 1–3 % (blank
votes, transfers between opposed candidates) move as freely as large ones; the change of
variable contributes the Jacobian ``low'·high' / (low·high)`` to the acceptance ratio.

Random numbers come from numba's generator, which is thread-local: ``run_iterations`` seeds it
at every call from a seed drawn by the caller's ``numpy.random.Generator``, so a fit is
reproducible whichever thread runs a chain.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_RIDGE_TARGET = 0.3
_ALPHA_TARGET = 0.35
_CENTRE_SWEEPS = 12
_TINY = 1e-300

# indices into the ``counts`` array: accepted, proposed for each kind of move
COUNT_RIDGE = 0
COUNT_ALPHA = 2
COUNT_COLLECTIVE = 4
COUNT_SCALE = 6
N_COUNTS = 8


@njit(cache=True, nogil=True)
def _expit(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


@njit(cache=True, nogil=True)
def _random_pair(size: int) -> tuple[int, int]:
    first = np.random.randint(0, size)
    second = np.random.randint(0, size - 1)
    if second >= first:
        second += 1
    return first, second


@njit(cache=True, nogil=True)
def _copy_into(target, source):  # type: ignore[no-untyped-def]
    """target[...] = source for 2-D arrays (explicit loops compile faster than array syntax)."""
    for a in range(source.shape[0]):
        for b in range(source.shape[1]):
            target[a, b] = source[a, b]


# -- data augmentation and the Gibbs steps --------------------------------------------------
@njit(cache=True, nogil=True)
def allocate(beta, x, votes, split):  # type: ignore[no-untyped-def]
    """Split each unit's votes for each candidate among groups ∝ x_ir β_irc (multinomial)."""
    n_units, n_rows, n_cols = beta.shape
    for i in range(n_units):
        for c in range(n_cols):
            remaining = votes[i, c]
            weight_left = 0.0
            for r in range(n_rows):
                weight_left += x[i, r] * beta[i, r, c]
            for r in range(n_rows - 1):
                weight = x[i, r] * beta[i, r, c]
                if remaining > 0 and weight_left > 0:
                    prob = min(max(weight / weight_left, 0.0), 1.0)
                    drawn = np.random.binomial(remaining, prob)
                else:
                    drawn = 0
                split[i, r, c] = drawn
                remaining -= drawn
                weight_left -= weight
            split[i, n_rows - 1, c] = remaining


@njit(cache=True, nogil=True)
def draw_beta(beta, alpha, split):  # type: ignore[no-untyped-def]
    """β_ir ~ Dirichlet(α_r + split_ir)."""
    n_units, n_rows, n_cols = beta.shape
    for i in range(n_units):
        for r in range(n_rows):
            total = 0.0
            for c in range(n_cols):
                value = max(np.random.standard_gamma(alpha[r, c] + split[i, r, c]), _TINY)
                beta[i, r, c] = value
                total += value
            for c in range(n_cols):
                beta[i, r, c] /= total


@njit(cache=True, nogil=True)
def _alpha_cell_terms(alpha, r, c, value, split, row_counts, prior_shape, prior_rate):  # type: ignore[no-untyped-def]
    """Terms of the collapsed log posterior (log-α coordinates) that depend on α_rc."""
    n_units = split.shape[0]
    row_total = value
    for col in range(alpha.shape[1]):
        if col != c:
            row_total += alpha[r, col]
    result = prior_shape * math.log(value) - prior_rate * value
    lg_total = math.lgamma(row_total)
    lg_value = math.lgamma(value)
    for i in range(n_units):
        result += lg_total - math.lgamma(row_total + row_counts[i, r])
        result += math.lgamma(value + split[i, r, c]) - lg_value
    return result


@njit(cache=True, nogil=True)
def update_alpha(alpha, split, alpha_scale, prior_shape, prior_rate, adapt, counts):  # type: ignore[no-untyped-def]
    """Componentwise random-walk Metropolis on log α_rc with β integrated out."""
    n_units, n_rows, n_cols = split.shape
    row_counts = np.zeros((n_units, n_rows))
    for i in range(n_units):
        for r in range(n_rows):
            for c in range(n_cols):
                row_counts[i, r] += split[i, r, c]
    for r in range(n_rows):
        for c in range(n_cols):
            old = alpha[r, c]
            new = old * math.exp(np.random.standard_normal() * alpha_scale[r, c])
            current = _alpha_cell_terms(
                alpha, r, c, old, split, row_counts, prior_shape, prior_rate
            )
            candidate = _alpha_cell_terms(
                alpha, r, c, new, split, row_counts, prior_shape, prior_rate
            )
            accepted = math.log(np.random.random()) < candidate - current
            if accepted:
                alpha[r, c] = new
                counts[COUNT_ALPHA] += 1
            counts[COUNT_ALPHA + 1] += 1
            if adapt:
                alpha_scale[r, c] = _adapted(
                    alpha_scale[r, c], accepted, 0.1, _ALPHA_TARGET, 0.0, np.inf
                )


# -- moves along each unit's ridge -----------------------------------------------------------
@njit(cache=True, nogil=True)
def segment_move(beta_i, x_i, r, s, c, d, step, out):  # type: ignore[no-untyped-def]
    """Move one unit along its (r, s, c, d) segment by a logit ``step`` (module docstring).

    Writes the new β of the cells (r, c), (r, d), (s, c), (s, d) into ``out[0:4]`` and returns
    (status, log Jacobian): status 0 = moved, 1 = unusable (a group absent: never moves),
    2 = usable but cannot move (underflow: the proposal is rejected).
    """
    xr = x_i[r]
    xs = x_i[s]
    if xr <= 0 or xs <= 0:
        return 1, 0.0
    m0 = xr * beta_i[r, c]
    m1 = xr * beta_i[r, d]
    m2 = xs * beta_i[s, c]
    m3 = xs * beta_i[s, d]
    low = min(m0, m3)
    high = min(m1, m2)
    if low <= 0 or high <= 0:
        return 2, 0.0
    length = low + high
    position = math.log(low) - math.log(high) + step
    new_low = length * _expit(position)
    new_high = length * _expit(-position)
    n0 = new_low if m0 == low else m0 + (new_low - low)
    n1 = new_high if m1 == high else m1 + (new_high - high)
    n2 = new_high if m2 == high else m2 + (new_high - high)
    n3 = new_low if m3 == low else m3 + (new_low - low)
    out[0] = n0 / xr
    out[1] = n1 / xr
    out[2] = n2 / xs
    out[3] = n3 / xs
    if new_low <= 0 or new_high <= 0 or out[0] <= 0 or out[1] <= 0 or out[2] <= 0 or out[3] <= 0:
        return 2, 0.0
    return 0, math.log((new_low / low) * (new_high / high))


@njit(cache=True, nogil=True)
def ridge_moves(beta, x, alpha, ridge_scale, n_moves, adapt, counts):  # type: ignore[no-untyped-def]
    """Per-unit random walks in logit position along random (r, s, c, d) segments."""
    n_units, n_rows, n_cols = beta.shape
    out = np.empty(4)
    for i in range(n_units):
        beta_i = beta[i]
        for _ in range(n_moves):
            r, s = _random_pair(n_rows)
            c, d = _random_pair(n_cols)
            step = np.random.standard_normal() * ridge_scale[i]
            status, log_ratio = segment_move(beta_i, x[i], r, s, c, d, step, out)
            if status == 1:
                continue
            accepted = False
            if status == 0:
                log_ratio += (alpha[r, c] - 1.0) * math.log(out[0] / beta_i[r, c])
                log_ratio += (alpha[r, d] - 1.0) * math.log(out[1] / beta_i[r, d])
                log_ratio += (alpha[s, c] - 1.0) * math.log(out[2] / beta_i[s, c])
                log_ratio += (alpha[s, d] - 1.0) * math.log(out[3] / beta_i[s, d])
                accepted = math.log(np.random.random()) < log_ratio
            if accepted:
                beta_i[r, c] = out[0]
                beta_i[r, d] = out[1]
                beta_i[s, c] = out[2]
                beta_i[s, d] = out[3]
                counts[COUNT_RIDGE] += 1
            counts[COUNT_RIDGE + 1] += 1
            if adapt:
                ridge_scale[i] = _adapted(ridge_scale[i], accepted, 0.1, _RIDGE_TARGET, 1e-3, 20.0)


@njit(cache=True, nogil=True)
def _dirichlet_rows(alpha, rows, log_sums, n_units):  # type: ignore[no-untyped-def]
    """Σ_i log Dirichlet(β_ir | α_r) over the given rows, from log_sums = Σ_i log β_irc."""
    total = 0.0
    for r in rows:
        row_sum = 0.0
        for c in range(alpha.shape[1]):
            row_sum += alpha[r, c]
            total += (alpha[r, c] - 1.0) * log_sums[r, c] - n_units * math.lgamma(alpha[r, c])
        total += n_units * math.lgamma(row_sum)
    return total


@njit(cache=True, nogil=True)
def _log_prior(alpha, rows, prior_shape, prior_rate):  # type: ignore[no-untyped-def]
    total = 0.0
    for r in rows:
        for c in range(alpha.shape[1]):
            total += (prior_shape - 1.0) * math.log(alpha[r, c]) - prior_rate * alpha[r, c]
    return total


@njit(cache=True, nogil=True)
def _add_hierarchy_change(  # type: ignore[no-untyped-def]
    log_ratio, alpha_new, alpha, rows, sums_new, sums_old, n_units, prior_shape, prior_rate
):
    """log_ratio plus the change of Σ_i log Dirichlet(β_ir | α_r) and of α's log prior."""
    log_ratio += _dirichlet_rows(alpha_new, rows, sums_new, n_units)
    log_ratio -= _dirichlet_rows(alpha, rows, sums_old, n_units)
    log_ratio += _log_prior(alpha_new, rows, prior_shape, prior_rate)
    log_ratio -= _log_prior(alpha, rows, prior_shape, prior_rate)
    return log_ratio


@njit(cache=True, nogil=True)
def _adapted(step, accepted, rate, target, low, high):  # type: ignore[no-untyped-def]
    """A step size nudged towards the target acceptance rate, kept within [low, high]."""
    return min(max(step * math.exp(rate * (accepted - target)), low), high)


@njit(cache=True, nogil=True)
def log_sums_of(beta):  # type: ignore[no-untyped-def]
    n_units, n_rows, n_cols = beta.shape
    sums = np.zeros((n_rows, n_cols))
    for i in range(n_units):
        for r in range(n_rows):
            for c in range(n_cols):
                sums[r, c] += math.log(beta[i, r, c])
    return sums


@njit(cache=True, nogil=True)
def collective_moves(  # type: ignore[no-untyped-def]
    beta, x, alpha, newton, quad_steps, n_moves, prior_shape, prior_rate, adapt, counts
):
    """Every unit takes the same logit step on the same segment; α follows (see ``md``).

    α_r and α_s move by ``newton_r · Δ(mean log β_r)`` so α keeps fitting the units' shares;
    the map is inverted by the opposite step, so the acceptance ratio is the posterior ratio
    times the units' Jacobians. Each pair of groups × pair of candidates has its own step size
    (``quad_steps[r, s, c, d]`` with r < s, c < d): some directions are far stiffer than others.
    """
    n_units, n_rows, n_cols = beta.shape
    log_sums = log_sums_of(beta)
    new_cells = np.empty((n_units, 4))
    status = np.empty(n_units, dtype=np.int64)
    out = np.empty(4)
    rows = np.empty(2, dtype=np.int64)
    alpha_new = alpha.copy()
    sums_new = log_sums.copy()
    for _ in range(n_moves):
        r, s = _random_pair(n_rows)
        c, d = _random_pair(n_cols)
        rows[0] = r
        rows[1] = s
        key_r, key_s, key_c, key_d = min(r, s), max(r, s), min(c, d), max(c, d)
        step = np.random.standard_normal() * quad_steps[key_r, key_s, key_c, key_d]
        log_ratio = 0.0
        change = np.zeros(4)  # Σ_i log β' − log β of the cells rc, rd, sc, sd
        possible = True
        for i in range(n_units):
            flag, log_jacobian = segment_move(beta[i], x[i], r, s, c, d, step, out)
            status[i] = flag
            if flag == 2:
                possible = False
                break
            if flag == 0:
                log_ratio += log_jacobian
                change[0] += math.log(out[0] / beta[i, r, c])
                change[1] += math.log(out[1] / beta[i, r, d])
                change[2] += math.log(out[2] / beta[i, s, c])
                change[3] += math.log(out[3] / beta[i, s, d])
                for k in range(4):
                    new_cells[i, k] = out[k]
        accepted = False
        if possible:
            for side in range(2):
                row = rows[side]
                first = change[2 * side] / n_units  # Δ mean log β of (row, c)
                second = change[2 * side + 1] / n_units  # and of (row, d)
                for col in range(n_cols):
                    alpha_new[row, col] = (
                        alpha[row, col] + newton[row, col, c] * first + newton[row, col, d] * second
                    )
                    sums_new[row, col] = log_sums[row, col]
                sums_new[row, c] += change[2 * side]
                sums_new[row, d] += change[2 * side + 1]
            positive = True
            for side in range(2):
                for col in range(n_cols):
                    if alpha_new[rows[side], col] <= 0:
                        positive = False
            if positive:
                log_ratio = _add_hierarchy_change(
                    log_ratio,
                    alpha_new,
                    alpha,
                    rows,
                    sums_new,
                    log_sums,
                    n_units,
                    prior_shape,
                    prior_rate,
                )
                accepted = math.log(np.random.random()) < log_ratio
        if accepted:
            for i in range(n_units):
                if status[i] == 0:
                    beta[i, r, c] = new_cells[i, 0]
                    beta[i, r, d] = new_cells[i, 1]
                    beta[i, s, c] = new_cells[i, 2]
                    beta[i, s, d] = new_cells[i, 3]
            for side in range(2):
                row = rows[side]
                for col in range(n_cols):
                    alpha[row, col] = alpha_new[row, col]
                    log_sums[row, col] = sums_new[row, col]
            counts[COUNT_COLLECTIVE] += 1
        counts[COUNT_COLLECTIVE + 1] += 1
        if adapt:
            key = (key_r, key_s, key_c, key_d)
            quad_steps[key] = _adapted(quad_steps[key], accepted, 0.2, _RIDGE_TARGET, 1e-4, 5.0)


# -- concentration moves ---------------------------------------------------------------------
@njit(cache=True, nogil=True)
def ridge_centres(beta, x, alpha, centres):  # type: ignore[no-untyped-def]
    """Each unit's point on its current ridge near the α row means m, into ``centres``.

    A few IPF sweeps fit the seed ``x_ir m_rc`` to the unit's group shares x_i and its current
    candidate shares θ_i (columns exact after the last sweep); adding each row's remaining gap
    evenly to its cells then makes the rows sum to 1 exactly without changing θ (the gaps
    weighted by x sum to 0). Rows of absent groups are m. The result depends only on m, x and
    θ, which the concentration moves leave unchanged.
    """
    n_units, n_rows, n_cols = beta.shape
    means = np.empty((n_rows, n_cols))
    for r in range(n_rows):
        total = alpha[r].sum()
        for c in range(n_cols):
            means[r, c] = alpha[r, c] / total
    theta = np.empty(n_cols)
    table = np.empty((n_rows, n_cols))
    for i in range(n_units):
        for c in range(n_cols):
            theta[c] = 0.0
            for r in range(n_rows):
                theta[c] += x[i, r] * beta[i, r, c]
        for r in range(n_rows):
            for c in range(n_cols):
                table[r, c] = max(x[i, r] * means[r, c], 1e-300)
        for _ in range(_CENTRE_SWEEPS):
            for r in range(n_rows):
                row_sum = table[r].sum()
                factor = x[i, r] / row_sum if row_sum > 0 else 0.0
                for c in range(n_cols):
                    table[r, c] *= factor
            for c in range(n_cols):
                col_sum = 0.0
                for r in range(n_rows):
                    col_sum += table[r, c]
                factor = theta[c] / col_sum if col_sum > 0 else 0.0
                for r in range(n_rows):
                    table[r, c] *= factor
        for r in range(n_rows):
            if x[i, r] > 0:
                gap = 1.0
                for c in range(n_cols):
                    centres[i, r, c] = table[r, c] / x[i, r]
                    gap -= centres[i, r, c]
                for c in range(n_cols):
                    centres[i, r, c] += gap / n_cols
            else:
                for c in range(n_cols):
                    centres[i, r, c] = means[r, c]


@njit(cache=True, nogil=True)
def scale_factor(beta_i, centre_i, step, dimension):  # type: ignore[no-untyped-def]
    """Radial logit move of one unit about its centre β*: (factor, log Jacobian, ok).

    On the ray β* + t·(β − β*) the unit stays in the simplex for t < t_max; its position is
    u = 1/t_max ∈ (0, 1) and the move sets logit u' = logit u + step, so it never leaves the
    simplex and is inverted by −step. The new β is β* + (u'/u)·(β − β*); the Jacobian in the
    unit's ``dimension``-dimensional affine set is (u'/u)^D · (1−u')/(1−u).
    """
    n_rows, n_cols = beta_i.shape
    u = 0.0
    for r in range(n_rows):
        for c in range(n_cols):
            deviation = beta_i[r, c] - centre_i[r, c]
            if deviation < 0:
                u = max(u, -deviation / centre_i[r, c])
    if not u > 0:
        return 1.0, 0.0, True
    if u >= 1.0:
        return 1.0, 0.0, False
    new_u = _expit(math.log(u) - math.log1p(-u) + step)
    factor = new_u / u
    log_jacobian = dimension * math.log(factor) + math.log1p(-new_u) - math.log1p(-u)
    return factor, log_jacobian, math.isfinite(log_jacobian) and factor > 0


@njit(cache=True, nogil=True)
def scale_moves(  # type: ignore[no-untyped-def]
    beta, x, alpha, centres, scale_step, n_moves, prior_shape, prior_rate, adapt, counts
):
    """α scaled by e^{−2η} while every unit's deviation from its ridge centre follows."""
    n_units, n_rows, n_cols = beta.shape
    all_rows = np.arange(n_rows)
    factors = np.empty(n_units)
    log_sums = log_sums_of(beta)
    new_sums = np.empty((n_rows, n_cols))
    alpha_new = np.empty((n_rows, n_cols))
    for _ in range(n_moves):
        step = np.random.standard_normal() * scale_step[0]
        log_ratio = -2.0 * step * n_rows * n_cols
        new_sums.fill(0.0)
        valid = True
        for i in range(n_units):
            present = False
            for r in range(n_rows):
                if x[i, r] > 0:
                    present = True
            dimension = (n_rows - 1) * (n_cols - 1) if present else n_rows * (n_cols - 1)
            factor, log_jacobian, ok = scale_factor(beta[i], centres[i], step, dimension)
            if not ok:
                valid = False
                break
            factors[i] = factor
            log_ratio += log_jacobian
            for r in range(n_rows):
                for c in range(n_cols):
                    value = centres[i, r, c] + factor * (beta[i, r, c] - centres[i, r, c])
                    if not value > 0:
                        valid = False
                    else:
                        new_sums[r, c] += math.log(value)
            if not valid:
                break
        accepted = False
        if valid:
            shrink = math.exp(-2.0 * step)
            for r in range(n_rows):
                for c in range(n_cols):
                    alpha_new[r, c] = alpha[r, c] * shrink
            log_ratio = _add_hierarchy_change(
                log_ratio,
                alpha_new,
                alpha,
                all_rows,
                new_sums,
                log_sums,
                n_units,
                prior_shape,
                prior_rate,
            )
            accepted = math.log(np.random.random()) < log_ratio
        if accepted:
            for i in range(n_units):
                for r in range(n_rows):
                    for c in range(n_cols):
                        beta[i, r, c] = centres[i, r, c] + factors[i] * (
                            beta[i, r, c] - centres[i, r, c]
                        )
            _copy_into(alpha, alpha_new)
            _copy_into(log_sums, new_sums)
            counts[COUNT_SCALE] += 1
        counts[COUNT_SCALE + 1] += 1
        if adapt:
            scale_step[0] = _adapted(scale_step[0], accepted, 0.2, _RIDGE_TARGET, 1e-4, 5.0)


@njit(cache=True, nogil=True)
def row_scale_position(beta_i, centre_i, x_i, row, step, direction):  # type: ignore[no-untyped-def]
    """One group's deviation from the ridge centre scaled by λ, staying on the unit's ridge.

    With D = β − β*, the map D_r → λ·D_r, D_s → D_s + (1 − λ)·x_r/(1 − x_r)·D_r (other present
    groups s) keeps row sums and θ_i. It is a line in β, so the unit moves on the segment
    λ ∈ (λ_lo, λ_hi) where β stays positive (λ_lo ≥ 0; now λ = 1) by a logit step on
    v = (λ − λ_lo)/(λ_hi − λ_lo). The map is inverted by −step; in the coordinates
    (D_r, D_s + x_r/(1 − x_r)·D_r) it is a radial map of D_r alone, so its Jacobian is
    (λ'/λ)^{C−2} · v'(1 − v')/(v(1 − v)).

    Fills ``direction`` (β(λ) = β + (1 − λ)·direction) and returns (λ', log Jacobian, ok).
    """
    n_rows, n_cols = beta_i.shape
    x_r = x_i[row]
    share = x_r / (1.0 - x_r) if x_r < 1.0 else 0.0
    largest = 0.0
    for c in range(n_cols):
        deviation = beta_i[row, c] - centre_i[row, c]
        largest = max(largest, abs(deviation))
        for s in range(n_rows):
            if s == row:
                direction[s, c] = -deviation
            elif x_i[s] > 0:
                direction[s, c] = share * deviation
            else:
                direction[s, c] = 0.0
    upper = np.inf
    lower = 0.0
    for s in range(n_rows):
        for c in range(n_cols):
            if direction[s, c] != 0:
                ratio = (beta_i[s, c] + direction[s, c]) / direction[s, c]
                if direction[s, c] > 0:
                    upper = min(upper, ratio)
                else:
                    lower = max(lower, ratio)
    if not (largest > 0 and math.isfinite(upper) and upper > 1.0 and lower < 1.0):
        return 1.0, 0.0, True
    width = upper - lower
    position = (1.0 - lower) / width
    new_position = _expit(math.log(position) - math.log1p(-position) + step)
    new_scale = lower + width * new_position
    log_jacobian = (n_cols - 2) * math.log(new_scale) if n_cols > 2 else 0.0
    log_jacobian += math.log(new_position) + math.log1p(-new_position)
    log_jacobian -= math.log(position) + math.log1p(-position)
    return new_scale, log_jacobian, math.isfinite(log_jacobian) and new_scale > 0


@njit(cache=True, nogil=True)
def row_scale_moves(  # type: ignore[no-untyped-def]
    beta, x, alpha, centres, row_scale, prior_shape, prior_rate, adapt, counts
):
    """For each group r in random order: α_r scaled by e^{−2η}, units' row-r deviations follow."""
    n_units, n_rows, n_cols = beta.shape
    all_rows = np.arange(n_rows)
    direction = np.empty((n_rows, n_cols))
    lambdas = np.empty(n_units)
    alpha_new = np.empty((n_rows, n_cols))
    new_sums = np.empty((n_rows, n_cols))
    order = np.arange(n_rows)
    for position in range(n_rows - 1, 0, -1):  # Fisher–Yates shuffle of the groups
        other = np.random.randint(0, position + 1)
        order[position], order[other] = order[other], order[position]
    log_sums = log_sums_of(beta)
    for row in order:
        step = np.random.standard_normal() * row_scale[row]
        log_ratio = -2.0 * step * n_cols
        new_sums.fill(0.0)
        valid = True
        for i in range(n_units):
            new_scale, log_jacobian, ok = row_scale_position(
                beta[i], centres[i], x[i], row, step, direction
            )
            if not ok:
                valid = False
                break
            lambdas[i] = new_scale
            log_ratio += log_jacobian
            for s in range(n_rows):
                for c in range(n_cols):
                    value = beta[i, s, c] + (1.0 - new_scale) * direction[s, c]
                    if not value > 0:
                        valid = False
                    else:
                        new_sums[s, c] += math.log(value)
            if not valid:
                break
        accepted = False
        if valid:
            _copy_into(alpha_new, alpha)
            shrink = math.exp(-2.0 * step)
            for c in range(n_cols):
                alpha_new[row, c] *= shrink
            log_ratio = _add_hierarchy_change(
                log_ratio,
                alpha_new,
                alpha,
                all_rows,
                new_sums,
                log_sums,
                n_units,
                prior_shape,
                prior_rate,
            )
            accepted = math.log(np.random.random()) < log_ratio
        if accepted:
            for i in range(n_units):
                row_scale_position(beta[i], centres[i], x[i], row, step, direction)
                for s in range(n_rows):
                    for c in range(n_cols):
                        beta[i, s, c] += (1.0 - lambdas[i]) * direction[s, c]
            _copy_into(alpha, alpha_new)
            _copy_into(log_sums, new_sums)
            counts[COUNT_SCALE] += 1
        counts[COUNT_SCALE + 1] += 1
        if adapt:
            row_scale[row] = _adapted(row_scale[row], accepted, 0.2, _RIDGE_TARGET, 1e-4, 5.0)


# -- one chain, many sweeps ------------------------------------------------------------------
@njit(cache=True, nogil=True)
def run_iterations(  # type: ignore[no-untyped-def]
    seed,
    n_iterations,
    adapt,
    beta,
    alpha,
    x,
    votes,
    weights,
    newton,
    quad_steps,
    scale_step,
    ridge_scale,
    alpha_scale,
    row_scale,
    prior_shape,
    prior_rate,
    ridge_per_unit,
    collective_per_sweep,
    thin,
    global_draws,
    unit_draws,
    beta_sum,
    alpha_sum,
    counts,
):
    """Run ``n_iterations`` sweeps of one chain; record draws when ``global_draws`` has rows.

    One sweep: data augmentation, collapsed α, β | α (exact Gibbs), ridge moves of every unit,
    collective moves, then the concentration moves of all groups (twice) and of each group.
    When recording (not adapting), iteration t writes ``global_draws[t]`` (Σ_i w_ir β_irc),
    adds β and α to the running sums and, every ``thin``-th iteration, writes the realised
    shares of each unit's groups (the sweep's split of its votes, N_irc / N_ir·) into
    ``unit_draws``.
    """
    np.random.seed(seed)
    n_units, n_rows, n_cols = beta.shape
    split = np.empty((n_units, n_rows, n_cols), dtype=np.int64)
    centres = np.empty((n_units, n_rows, n_cols))
    record = global_draws.shape[0] > 0
    for t in range(n_iterations):
        allocate(beta, x, votes, split)
        update_alpha(alpha, split, alpha_scale, prior_shape, prior_rate, adapt, counts)
        draw_beta(beta, alpha, split)
        ridge_moves(beta, x, alpha, ridge_scale, ridge_per_unit, adapt, counts)
        collective_moves(
            beta,
            x,
            alpha,
            newton,
            quad_steps,
            collective_per_sweep,
            prior_shape,
            prior_rate,
            adapt,
            counts,
        )
        ridge_centres(beta, x, alpha, centres)
        scale_moves(beta, x, alpha, centres, scale_step, 2, prior_shape, prior_rate, adapt, counts)
        row_scale_moves(beta, x, alpha, centres, row_scale, prior_shape, prior_rate, adapt, counts)
        if record:
            for r in range(n_rows):
                for c in range(n_cols):
                    total = 0.0
                    for i in range(n_units):
                        total += weights[i, r] * beta[i, r, c]
                    global_draws[t, r, c] = total
                    alpha_sum[r, c] += alpha[r, c]
            keep = t % thin == 0
            for i in range(n_units):
                for r in range(n_rows):
                    voters = 0
                    for c in range(n_cols):
                        beta_sum[i, r, c] += beta[i, r, c]
                        voters += split[i, r, c]
                    if keep:  # the unit's realised shares: this sweep's split of its votes
                        for c in range(n_cols):
                            unit_draws[t // thin, i, r, c] = (
                                split[i, r, c] / voters if voters > 0 else beta[i, r, c]
                            )


def compiled_code_ready() -> bool:
    """Whether the sampler can start without compiling first: its compiled code is loaded in
    this process already, or numba's on-disk cache of it is there and fresh.

    Compiling takes 20–60 s (measured 44 s on a loaded 2-core machine): a caller with a time
    budget (``auto``) skips the sampler rather than spend it compiling. Should numba's cache
    internals change, the answer is True (the sampler then times its first sweeps as before).
    """
    if run_iterations.signatures:
        return True
    try:
        cache = getattr(run_iterations, "_cache")  # noqa: B009 - numba internals, untyped
        return bool(cache._cache_file._load_index())
    except (AttributeError, OSError, ValueError):  # internals moved, or an unreadable index
        return True
