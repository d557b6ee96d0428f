//! The order in which a region's pixels are put down: a walk that follows the shape.
//!
//! From a start cell (an end of a line, or a corner of an area) the walk moves to the unvisited
//! 4-neighbour that has the fewest unvisited neighbours itself (Warnsdorff's rule), preferring to
//! keep its direction. That hugs the region's boundary and spirals inwards — a line is traced end to
//! end, an area is outlined and then filled — and it rarely strands single cells. With no 4-neighbour
//! left it steps diagonally, and only when boxed in does it jump to the nearest unvisited cell:
//! a jump ends a *run*, so every run is one connected stroke.

use std::collections::VecDeque;

/// How far (cells explored) a jump searches for the nearest unvisited cell before falling back to
/// the next unvisited cell in raster order.
const JUMP_SEARCH: usize = 512;

/// Walk the region whose cells are `cells` (raster order). `member(i)` says whether cell i is in the
/// region. Returns the cells in walk order and the start index of every run.
/// `visited` is a scratch buffer of `size * size` flags, false on entry for the region's cells.
pub(crate) fn walk(
    cells: &[u32],
    size: usize,
    member: &dyn Fn(usize) -> bool,
    visited: &mut [bool],
) -> (Vec<u32>, Vec<usize>) {
    let n = cells.len();
    let mut order = Vec::with_capacity(n);
    let mut runs = Vec::new();
    let unvisited_neighbours =
        |i: usize, visited: &[bool]| -> usize { neighbours4(i, size).filter(|&j| member(j) && !visited[j]).count() };
    // Start: the cell with the fewest region neighbours (a line's end), first in raster order.
    let start = *cells
        .iter()
        .min_by_key(|&&i| (neighbours8(i as usize, size).filter(|&j| member(j)).count(), i))
        .expect("regions are never empty");
    let mut cur = start as usize;
    let mut dir: (i32, i32) = (1, 0);
    let mut raster_next = 0usize;
    runs.push(0);
    loop {
        visited[cur] = true;
        order.push(cur as u32);
        if order.len() == n {
            break;
        }
        // Best 4-neighbour by Warnsdorff's rule, ties kept straight, then in a fixed order.
        let mut best: Option<(usize, bool, usize)> = None;
        for j in neighbours4(cur, size) {
            if !member(j) || visited[j] {
                continue;
            }
            let deg = unvisited_neighbours(j, visited);
            let straight = step(cur, j, size) == dir;
            let better = match best {
                None => true,
                Some((bd, bs, _)) => deg < bd || (deg == bd && straight && !bs),
            };
            if better {
                best = Some((deg, straight, j));
            }
        }
        let next = match best {
            Some((_, _, j)) => Some(j),
            None => neighbours8(cur, size).find(|&j| member(j) && !visited[j]),
        };
        let next = match next {
            Some(j) => j,
            None => {
                runs.push(order.len());
                nearest_unvisited(cur, size, member, visited).unwrap_or_else(|| {
                    while visited[cells[raster_next] as usize] {
                        raster_next += 1;
                    }
                    cells[raster_next] as usize
                })
            }
        };
        dir = step(cur, next, size);
        cur = next;
    }
    (order, runs)
}

fn step(a: usize, b: usize, size: usize) -> (i32, i32) {
    ((b % size) as i32 - (a % size) as i32, (b / size) as i32 - (a / size) as i32)
}

/// 4-neighbours in the order right, down, left, up.
fn neighbours4(i: usize, size: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % size, i / size);
    [(1i32, 0i32), (0, 1), (-1, 0), (0, -1)].into_iter().filter_map(move |(dx, dy)| {
        let (nx, ny) = (x as i32 + dx, y as i32 + dy);
        (nx >= 0 && ny >= 0 && nx < size as i32 && ny < size as i32).then(|| ny as usize * size + nx as usize)
    })
}

/// 8-neighbours: the 4 sides first, then the diagonals.
fn neighbours8(i: usize, size: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % size, i / size);
    [(1i32, 0i32), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (-1, -1), (1, -1)].into_iter().filter_map(
        move |(dx, dy)| {
            let (nx, ny) = (x as i32 + dx, y as i32 + dy);
            (nx >= 0 && ny >= 0 && nx < size as i32 && ny < size as i32).then(|| ny as usize * size + nx as usize)
        },
    )
}

/// Breadth-first search through the region (visited cells included) for the nearest unvisited one.
fn nearest_unvisited(from: usize, size: usize, member: &dyn Fn(usize) -> bool, visited: &[bool]) -> Option<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut q = VecDeque::new();
    seen.insert(from);
    q.push_back(from);
    while let Some(i) = q.pop_front() {
        if seen.len() > JUMP_SEARCH {
            return None;
        }
        for j in neighbours8(i, size) {
            if member(j) && seen.insert(j) {
                if !visited[j] {
                    return Some(j);
                }
                q.push_back(j);
            }
        }
    }
    None
}
