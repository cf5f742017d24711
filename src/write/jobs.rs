//! Stage 9 (part): making a run's files side by side.
//!
//! Every layer and deliverable of a run is made from the finished analysis alone, so they do not wait
//! for one another: each is a [`FileJob`], and [`write_side_by_side`] runs them all on the thread pool,
//! each staging its files (into an [`OutputSet`]) as soon as they are made, so no file's bytes outlive
//! its own job. The staged names are recorded in the order the jobs were given, not the order they
//! finished, so what a run reports writing does not depend on the threads; the first failing job, in
//! that order, is the error returned.
//!
//! Jobs start in the order given, but those marked [`FileJob::long`] (the maps) start before the
//! others, so the longest is not the last to start. A file made from another one's bytes (the PNG map
//! from the SVG map) follows it in the same job ([`FileJob::then`]), timed as its own part.

use std::time::Instant;

use crate::error::Result;
use crate::timings::PartTiming;
use crate::write::commit::OutputSet;

/// A file, or a few files made together, to stage: a label for the timings and the function that
/// makes the bytes.
pub struct FileJob<'a> {
    label: String,
    long: bool,
    make: MakeFiles<'a>,
    next: Option<(String, MakeFrom<'a>)>,
}

type MakeFiles<'a> = Box<dyn FnOnce() -> Result<Vec<(String, Vec<u8>)>> + Send + 'a>;
type MakeFrom<'a> = Box<dyn FnOnce(&[u8]) -> Result<Vec<u8>> + Send + 'a>;

/// What one job staged: the file names, and the timing of each part.
type Staged = Result<(Vec<String>, Vec<PartTiming>)>;

impl std::fmt::Debug for FileJob<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileJob")
            .field("label", &self.label)
            .finish()
    }
}

impl<'a> FileJob<'a> {
    /// One file, labelled with its name.
    pub fn one(name: &str, make: impl FnOnce() -> Result<Vec<u8>> + Send + 'a) -> Self {
        let file = name.to_owned();
        FileJob::many(name, move || Ok(vec![(file, make()?)]))
    }

    /// Several files made together (a style per layer and the project that names them), under one
    /// label.
    pub fn many(
        label: &str,
        make: impl FnOnce() -> Result<Vec<(String, Vec<u8>)>> + Send + 'a,
    ) -> Self {
        FileJob {
            label: label.to_owned(),
            long: false,
            make: Box::new(make),
            next: None,
        }
    }

    /// Then the file `name`, made from the bytes of this job's first file once that is staged (the
    /// PNG map rendered from the SVG map's drawing, not drawn again): its own part of the timings.
    pub fn then(
        mut self,
        name: &str,
        make: impl FnOnce(&[u8]) -> Result<Vec<u8>> + Send + 'a,
    ) -> Self {
        self.next = Some((name.to_owned(), Box::new(make)));
        self
    }

    /// Marks the job as one of the longest, to start before the others.
    pub fn long(mut self) -> Self {
        self.long = true;
        self
    }

    /// Makes the files here and now (the one that follows last).
    pub fn make(self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut files = (self.make)()?;
        if let Some((name, make)) = self.next {
            let from = files.first().map_or(&[][..], |(_, bytes)| &bytes[..]);
            let made = make(from)?;
            files.push((name, made));
        }
        Ok(files)
    }

    /// Makes, stages and times the files: one part, and one more for the file that follows.
    fn stage(self, stager: &crate::write::commit::Stager) -> Staged {
        let mut start = Instant::now();
        let mut names = Vec::new();
        let mut parts = Vec::new();
        let mut stage = |label: String, files: &[(String, Vec<u8>)], start: Instant| {
            let mut bytes = 0;
            for (name, content) in files {
                stager.stage(name, content)?;
                bytes += content.len() as u64;
                names.push(name.clone());
            }
            parts.push(PartTiming {
                phase: label,
                seconds: start.elapsed().as_secs_f64(),
                items: bytes,
                unit: "bytes",
            });
            Ok::<_, crate::error::Error>(())
        };
        let files = (self.make)()?;
        stage(self.label, &files, start)?;
        if let Some((name, make)) = self.next {
            start = Instant::now();
            let from = files.first().map_or(&[][..], |(_, bytes)| &bytes[..]);
            let made = make(from)?;
            drop(files);
            stage(name.clone(), &[(name, made)], start)?;
        }
        Ok((names, parts))
    }
}

/// Runs every job on the thread pool, each staging its files in `set` as soon as made. Returns each
/// job's wall time and bytes, in the order given; on failure, the first failing job's error in that
/// order (the set is then not committed, so nothing reaches the destination).
pub fn write_side_by_side(set: &mut OutputSet, jobs: Vec<FileJob<'_>>) -> Result<Vec<PartTiming>> {
    let stager = set.stager();
    let mut results: Vec<Option<Staged>> = (0..jobs.len()).map(|_| None).collect();
    let mut slots: Vec<_> = jobs.into_iter().zip(results.iter_mut()).collect();
    // A stable sort: the long jobs first, the others in the order given.
    slots.sort_by_key(|(job, _)| !job.long);
    rayon::scope_fifo(|scope| {
        for (job, slot) in slots {
            let stager = &stager;
            scope.spawn_fifo(move |_| *slot = Some(job.stage(stager)));
        }
    });
    let mut parts = Vec::with_capacity(results.len());
    for result in results {
        let (names, timings) = result.expect("every job ran")?;
        for name in names {
            set.record(name);
        }
        parts.extend(timings);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recorded_in_job_order_and_the_first_error_wins() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::new(dir.path()).unwrap();
        let jobs = vec![
            FileJob::one("slow.txt", || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                Ok(b"slow".to_vec())
            }),
            FileJob::many("two", || {
                Ok(vec![
                    ("a.txt".into(), b"a".to_vec()),
                    ("b.txt".into(), vec![]),
                ])
            }),
            FileJob::one("long.txt", || Ok(b"long".to_vec()))
                .then("longer.txt", |long| Ok([long, b"er"].concat()))
                .long(),
        ];
        let parts = write_side_by_side(&mut set, jobs).unwrap();
        let labels: Vec<&str> = parts.iter().map(|p| p.phase.as_str()).collect();
        assert_eq!(labels, ["slow.txt", "two", "long.txt", "longer.txt"]);
        assert_eq!(parts[3].items, 6);
        assert_eq!(parts[0].items, 4);
        assert!(parts[0].seconds >= 0.05, "{parts:?}");
        let written = set.commit().unwrap();
        let names: Vec<_> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            ["slow.txt", "a.txt", "b.txt", "long.txt", "longer.txt"]
        );
        assert_eq!(std::fs::read(dir.path().join("slow.txt")).unwrap(), b"slow");
        assert_eq!(
            std::fs::read(dir.path().join("longer.txt")).unwrap(),
            b"longer"
        );

        let out = tempfile::tempdir().unwrap();
        let mut set = OutputSet::new(out.path()).unwrap();
        let fail = |what: &'static str| move || Err(crate::error::Error::Invalid(what.into()));
        let jobs = vec![
            FileJob::one("ok.txt", || Ok(vec![1])),
            FileJob::one("first.txt", fail("first")),
            FileJob::one("second.txt", fail("second")),
        ];
        let err = write_side_by_side(&mut set, jobs).unwrap_err();
        assert!(err.to_string().contains("first"), "{err}");
        drop(set);
        assert!(
            !out.path().join("ok.txt").exists(),
            "nothing is committed after a failure"
        );
    }
}
