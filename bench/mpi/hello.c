/* hello.c - the smallest MPI job: every rank says hello. The benchmark
 * times it under mmpirun and under OpenMPI's own mpirun: what is measured
 * is the launch, not the program. */
#include <mpi.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int rank, size;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	printf("hello from rank %d of %d\n", rank, size);
	MPI_Finalize();
	return 0;
}
